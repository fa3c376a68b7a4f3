//! `make prompts`: the recording script of one campaign (NAME<TAB>words lines), from the words its
//! scenario gives each prompt (minibot_scenarios.conf: written there once). A prompt without words,
//! or outside minibot/<campaign>/, is an error: nothing could speak it, or put it where it is played.
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
    // make prompts writes them into target/prompts/fr/minibot/<campaign>: each must live there.
    let home = format!("minibot/{campaign}/");
    for (prompt, words) in script {
        match prompt.strip_prefix(&home).filter(|name| !name.contains('/')) {
            Some(name) => println!("{name}\t{words}"),
            None => fail(&format!("{file}: campaign {campaign}: prompt {prompt} is not under {home}: make prompts speaks only those (install others with minibot prompts install)")),
        }
    }
}

fn fail(message: &str) -> ! {
    eprintln!("prompt-script: {message}");
    std::process::exit(1);
}
