//! A real SIP call in G.711 (8 kHz), as campaigns get from trunks: a second sandboxed Asterisk
//! plays the carrier and the callee (PJSIP on 127.0.0.1, allow=ulaw), calling into the module's
//! Asterisk. The bot hears 8 kHz audio through its audiohook (no transcoding of the call), runs
//! VAD at 8 kHz and Vosk at 8 kHz, and barges in, segments and recognizes as on a 16 kHz call.

mod support;

use std::time::Duration;
use support::ami::call_ended as ended;
use support::{free_port, speech, Asterisk, Options, PJSIP_MODULES};

fn pjsip_conf(own_port: u16, peer: &str, peer_port: u16, context: &str, codec: &str) -> String {
    format!(
        "[transport-udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:{own_port}\n\n\
         [{peer}]\ntype = endpoint\ntransport = transport-udp\ncontext = {context}\ndisallow = all\nallow = {codec}\n\
         direct_media = no\nrtp_symmetric = yes\naors = {peer}\n\n\
         [{peer}]\ntype = aor\ncontact = sip:127.0.0.1:{peer_port}\n\n\
         [{peer}]\ntype = identify\nendpoint = {peer}\nmatch = 127.0.0.1\n"
    )
}

fn rtp_conf(start: u16) -> String {
    format!("[general]\nrtpstart = {start}\nrtpend = {}\n", start + 40)
}

fn options(extra: &[(String, String)], base: Options) -> Options {
    Options {
        extra_modules: PJSIP_MODULES.iter().map(|m| m.to_string()).collect(),
        extra_configs: extra.to_vec(),
        ..base
    }
}

#[test]
fn g711_sip_call_is_heard_at_8_khz() {
    for codec in ["ulaw", "alaw"] {
        g711_call(codec);
    }
}

fn g711_call(codec: &str) {
    let (pbx_port, carrier_port) = (free_port(), free_port());
    let rtp_base = 20000 + (pbx_port % 200) * 100;

    let mut bot = Options::with_asr("");
    bot.scenarios = "[media]\nstart = hello\n[media.hello]\nprompt = demo-congrats\nlisten = 3\nnext = bye\nno_input = bye\n\
                     [media.bye]\nprompt = vm-goodbye\nlisten = 0\n"
        .into();
    bot.dialplan = "[from-carrier]\nexten => media,1,MiniBot(media)\n same => n,Hangup()\n".into();
    let pbx = Asterisk::start(options(
        &[
            ("pjsip.conf".into(), pjsip_conf(pbx_port, "carrier", carrier_port, "from-carrier", codec)),
            ("rtp.conf".into(), rtp_conf(rtp_base)),
        ],
        bot,
    ));
    let carrier = Asterisk::start(options(
        &[
            ("pjsip.conf".into(), pjsip_conf(carrier_port, "pbx", pbx_port, "carrier", codec)),
            ("rtp.conf".into(), rtp_conf(rtp_base + 50)),
        ],
        Options { load_minibot: false, minibot_conf: None, ..Options::default() },
    ));
    let warm = std::time::Instant::now() + Duration::from_secs(30);
    while !pbx.cli("minibot show metrics").contains("(8000, 1)") {
        assert!(std::time::Instant::now() < warm, "no warm 8 kHz recognizer");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (french, _) = speech(&carrier, "oui", "fr", "bonjour oui je vous écoute allez y");
    let conf = std::fs::read_to_string(carrier.host_path("etc/extensions.conf")).unwrap();
    carrier.write_config(
        "extensions.conf",
        &format!(
            "{conf}\n[carrier]\nexten => callee,1,Answer()\n same => n,Wait(1.5)\n\
             same => n,UserEvent(CalleeTalk,State: start)\n same => n,Playback({french})\n same => n,UserEvent(CalleeTalk,State: stop)\n\
             same => n,Wait(20)\n"
        ),
    );
    carrier.reload_dialplan();

    let mut bot_ami = pbx.ami();
    let mut callee_ami = carrier.ami();
    let response = callee_ami.originate("PJSIP/media@pbx", ("carrier", "callee"), codec, &[]);
    assert_eq!(response.get("Response"), Some("Success"), "{response:?}");
    let events = bot_ami.collect_until(Duration::from_secs(30), support::ami::call_ended);
    let callee_events = callee_ami.collect_until(Duration::from_secs(2), |e| e.get("State") == Some("stop"));
    let trace: Vec<String> = events
        .iter()
        .chain(callee_events.iter())
        .filter(|e| e.get("Event").is_some_and(|n| n.starts_with("MiniBot") || n == "UserEvent"))
        .map(|e| format!("{:.3} {} {:?}", e.timestamp(), e.get("Event").unwrap(), e.get("State").or(e.get("Text"))))
        .collect();
    let trace = trace.join("\n");
    assert!(events.iter().any(ended), "{codec}: the SIP call never ended:\n{trace}\npbx log:\n{}\ncarrier log:\n{}", pbx.log(), carrier.log());

    let started = events.iter().find(|e| e.is("MiniBotCall") && e.get("State") == Some("started")).unwrap();
    assert_eq!(started.get("Rate"), Some("8000"), "{codec}: {started:?}");
    assert_eq!(started.get("Format"), Some(codec), "{codec}: the call must stay G.711: {started:?}");

    let talk_start = callee_events.iter().find(|e| e.get("UserEvent") == Some("CalleeTalk") && e.get("State") == Some("start"));
    let talk_stop = callee_events.iter().find(|e| e.get("UserEvent") == Some("CalleeTalk") && e.get("State") == Some("stop"));
    let (talk_start, talk_stop) = (talk_start.expect("callee talked"), talk_stop.expect("callee stopped"));
    let speech_start = events.iter().find(|e| e.is("MiniBotSpeech") && e.get("State") == Some("started")).expect(&trace);
    let speech_end = events.iter().find(|e| e.is("MiniBotSpeech") && e.get("State") == Some("ended")).expect(&trace);
    let onset = (speech_start.timestamp() - talk_start.timestamp()) * 1000.0;
    let end = (speech_end.timestamp() - talk_stop.timestamp()) * 1000.0;
    // Order and causality only (timings are benchmark figures): confirmed once the onset was
    // heard, ended once the hangover had passed.
    eprintln!("{codec}: speech confirmed {onset:.0} ms after it began, turn ended {end:.0} ms after the speech");
    assert!(onset >= 120.0, "{codec}: speech confirmed {onset:.0} ms after it began\n{trace}");
    assert!(end >= 250.0, "{codec}: turn ended {end:.0} ms after the speech\n{trace}");

    let barge_in = events.iter().find(|e| e.is("MiniBotBargeIn")).expect(&trace);
    eprintln!("{codec}: prompt stopped {} ms after the onset decision", barge_in.number("StopDelayMs"));
    assert!(barge_in.timestamp() >= speech_start.timestamp(), "{trace}");
    let finals: Vec<_> = events.iter().filter(|e| e.is("MiniBotFinal")).collect();
    assert_eq!(finals.len(), 1, "{trace}");
    eprintln!("{codec}: final {} ms after the turn ended", finals[0].number("LatencyMs"));
    assert!(finals[0].timestamp() >= speech_end.timestamp(), "{trace}");
    assert_eq!(events.iter().find(|e| ended(e)).unwrap().get("Status"), Some("SUCCESS"), "{trace}");
}
