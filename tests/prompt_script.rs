//! `make prompts`: the recording script of one campaign (NAME<TAB>words lines), from the words its
//! scenario gives each prompt (minibot_scenarios.conf: written there once). A prompt without words
//! is an error: nothing could speak it.
//!   cargo run --example prompt-script -- <minibot_scenarios.conf> <campaign>

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, file, campaign] = args.as_slice() else {
        eprintln!("usage: prompt-script <minibot_scenarios.conf> <campaign>");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| fail(&format!("{file}: {e}")));
    let scenarios = res_minibot::scenario::from_text(file, &text).unwrap_or_else(|e| fail(&e.to_string()));
    let scenario = scenarios.get(campaign).unwrap_or_else(|| fail(&format!("{file}: no campaign '{campaign}'")));
    let (script, silent) = scenario.recording_script();
    if !silent.is_empty() {
        fail(&format!("{file}: campaign {campaign}: no words for {} (give each `words =`, or `<sound key>_words =`)", silent.join(", ")));
    }
    for (name, words) in script {
        println!("{name}\t{words}");
    }
}

fn fail(message: &str) -> ! {
    eprintln!("prompt-script: {message}");
    std::process::exit(1);
}
