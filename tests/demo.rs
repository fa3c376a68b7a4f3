//! `make demo [CAMPAIGN=renovation]`: the sandbox Asterisk 22 with res_minibot.so, the sample
//! campaigns (asterisk-conf/minibot_scenarios.conf) and their French prompts, and a scripted French
//! callee (espeak-ng; tests/data/callee-<campaign>.tsv) on the other side of a Local call.
//! Prints the call as the bot lived it: prompts, barge-ins, speech turns, transcripts, outcome.

mod support;

use std::time::{Duration, Instant};
use support::llm::LlmServer;
use support::pg::{fresh_database, SERVER};
use support::{speech, Asterisk, Options, TEST_MODEL};

/// What the callee says, after how many seconds of listening to the bot: `seconds<TAB>words` lines.
fn callee_script(campaign: &str) -> Vec<(f64, String)> {
    let path = format!("{}/tests/data/callee-{campaign}.tsv", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e} (one script per sample campaign)"));
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (wait, words) = l.split_once('\t').unwrap_or_else(|| panic!("{path}: '{l}' is not seconds<TAB>words"));
            (wait.trim().parse().unwrap_or_else(|_| panic!("{path}: '{wait}' is not seconds")), words.trim().to_string())
        })
        .collect()
}

fn main() {
    let campaign = std::env::var("MINIBOT_DEMO_CAMPAIGN").unwrap_or_else(|_| "demo".into());
    let script = callee_script(&campaign);
    println!("== MiniBot demo: one call into MiniBot({campaign}) on a sandboxed Asterisk 22");
    let started = Instant::now();
    println!("starting the LLM server (llama-server + Gemma 3 270M, OpenAI-compatible API) ...");
    let db = fresh_database(SERVER);
    let llm = LlmServer::start();
    let conf = support::demo_conf(&llm.url(), &db, "/tmp/minibot-demo-spool");
    let asterisk = Asterisk::start(Options {
        minibot_conf: Some(conf),
        scenarios: include_str!("../asterisk-conf/minibot_scenarios.conf").into(),
        ..Options::default()
    });
    println!("{}", asterisk.cli("minibot show version").trim());
    println!(
        "No French Vosk model can be fetched on this machine: the recognizer runs the Korean test model\n\
         ({TEST_MODEL}). Speech detection, barge-in, turn timing and recognition run for real on the callee's\n\
         French audio, but the words of each turn are supplied by the TEST FIXTURE MINIBOT_TEST_TRANSCRIPTS\n\
         (the callee's script); intents, transitions and qualification run on them for real.\n\
         Install the French model with `make install-model`, set [asr] model, and the same demo runs on audio alone.\n"
    );
    let mut callee = String::from("[demo-callee]\nexten => callee,1,Answer()\n");
    for (i, (wait, text)) in script.iter().enumerate() {
        let (file, _) = speech(&asterisk, &format!("callee{i}"), "fr", text);
        callee += &format!(" same => n,Wait({wait})\n same => n,Playback({file})\n");
    }
    callee += " same => n,Wait(30)\n";
    let transcripts: Vec<&str> = script.iter().map(|(_, text)| text.as_str()).collect();
    let bot = format!("[demo-bot]\nexten => demo,1,Set(MINIBOT_TEST_TRANSCRIPTS={})\n same => n,MiniBot({campaign})\n", transcripts.join("|"));
    let conf = std::fs::read_to_string(asterisk.host_path("etc/extensions.conf")).unwrap();
    asterisk.write_config("extensions.conf", &format!("{conf}\n{callee}\n{bot}"));
    asterisk.reload_dialplan();
    let warm = Instant::now() + Duration::from_secs(30);
    while !asterisk.cli("minibot show metrics").contains("(16000, ") && Instant::now() < warm {
        std::thread::sleep(Duration::from_millis(100));
    }

    let mut ami = asterisk.ami();
    let events = ami.call_until_ended("Local/demo@demo-bot/n", ("demo-callee", "callee"), "slin16", Duration::from_secs(120));
    let t0 = events.iter().find(|e| e.is("MiniBotCall")).map(|e| e.timestamp()).unwrap_or(0.0);
    for e in events.iter().filter(|e| e.get("Event").is_some_and(|n| n.starts_with("MiniBot"))) {
        let at = e.timestamp() - t0;
        let line = match e.get("Event").unwrap() {
            "MiniBotCall" => format!("call {} {}", e.get("State").unwrap_or(""), e.get("Status").unwrap_or("")),
            "MiniBotPrompt" if e.get("State") == Some("started") => format!("bot plays   {}", e.get("File").unwrap_or("")),
            "MiniBotBargeIn" => format!(
                "barge-in    by {} after {} ms of the prompt (stopped {} ms after the onset)",
                e.get("By").unwrap_or(""),
                e.get("PlayedMs").unwrap_or(""),
                e.get("StopDelayMs").unwrap_or("")
            ),
            "MiniBotSpeech" => format!("callee      speech {}", e.get("State").unwrap_or("")),
            "MiniBotFinal" => format!("transcript  \"{}\" ({} ms after the turn)", e.get("Text").unwrap_or(""), e.get("LatencyMs").unwrap_or("")),
            "MiniBotIntent" => format!(
                "intent      {} (confidence {}, tier {}, {} ms){}",
                e.get("Intent").unwrap_or(""),
                e.get("Confidence").unwrap_or(""),
                e.get("Tier").unwrap_or(""),
                e.get("LatencyMs").unwrap_or(""),
                e.get("Entities").filter(|x| !x.is_empty()).map(|x| format!(" entities {x}")).unwrap_or_default()
            ),
            "MiniBotResult" => format!(
                "RESULT      outcome {}, lead score {} ({}): {}",
                e.get("Outcome").unwrap_or(""),
                e.get("Score").unwrap_or(""),
                e.get("Lead").unwrap_or(""),
                e.get("Reasons").unwrap_or("")
            ),
            "MiniBotReprompt" => "reprompt".to_string(),
            "MiniBotNoInput" => format!("no input    after {} ms", e.get("WaitedMs").unwrap_or("")),
            "MiniBotStep" => format!("step        {}", e.get("Step").unwrap_or("")),
            _ => continue,
        };
        println!("{at:7.2}s  {line}");
    }
    println!("\n-- read back from PostgreSQL ({db})");
    let mut client = postgres::Client::connect(&db, postgres::NoTls).expect("database");
    let wait = Instant::now() + Duration::from_secs(10);
    while client.query_one("SELECT count(*) FROM calls", &[]).map(|r| r.get::<_, i64>(0)).unwrap_or(0) == 0 && Instant::now() < wait {
        std::thread::sleep(Duration::from_millis(100));
    }
    for row in client.query("SELECT call_key, campaign, status, outcome, score, lead_class, array_to_string(reasons, '; ') FROM calls", &[]).unwrap() {
        let (key, campaign, status, outcome): (String, String, String, String) = (row.get(0), row.get(1), row.get(2), row.get(3));
        let (score, lead, reasons): (Option<i32>, Option<String>, String) = (row.get(4), row.get(5), row.get(6));
        println!("calls: {key} campaign={campaign} status={status} outcome={outcome} score={} lead={} ({reasons})", score.unwrap_or(0), lead.unwrap_or_default());
    }
    for row in client
        .query("SELECT turn, step, text, intent, tier, confidence, intent_ms, asr_ms, array_to_string(entities, ','), barge_in FROM conversations ORDER BY turn", &[])
        .unwrap()
    {
        let (turn, step, text): (i32, String, String) = (row.get(0), row.get(1), row.get(2));
        let (intent, tier): (Option<String>, Option<String>) = (row.get(3), row.get(4));
        let (confidence, intent_ms, asr_ms): (Option<f32>, Option<f32>, Option<f32>) = (row.get(5), row.get(6), row.get(7));
        let (entities, barge_in): (String, bool) = (row.get(8), row.get(9));
        println!(
            "turn {turn} [{step:<9}] \"{text}\" -> {} ({}, conf {:.2}, asr {:.0} ms, intent {:.2} ms){}{}",
            intent.unwrap_or_default(),
            tier.unwrap_or_default(),
            confidence.unwrap_or(0.0),
            asr_ms.unwrap_or(0.0),
            intent_ms.unwrap_or(0.0),
            if entities.is_empty() { String::new() } else { format!(" entities {entities}") },
            if barge_in { " [barge-in]" } else { "" }
        );
    }
    println!("\n-- minibot show status\n{}", asterisk.cli("minibot show status").trim_end());
    println!("\n-- minibot show db\n{}", asterisk.cli("minibot show db").trim_end());
    println!("\n-- minibot show metrics\n{}", asterisk.cli("minibot show metrics").trim_end());
    println!("\ndemo finished in {:.1} s", started.elapsed().as_secs_f64());
    if !events.iter().any(support::ami::call_ended) {
        println!("the call did not end within 120 s");
        std::process::exit(1);
    }
}
