//! What a shell and `man` get: completion scripts that complete options and values after
//! every subcommand, and one manual page holding every subcommand's options.

use std::process::Command;

use crate::support::Case;

/// The subcommands, each with an option only it has.
const OWN_OPTION: [(&str, &str); 8] = [
    ("import", "--match-by-name"),
    ("validate", "--decimal-comma"),
    ("plan", "--allow-duplicates"),
    ("export", "--output"),
    ("template", "--kind"),
    ("ping", "--json"),
    ("sandbox", "--faults"),
    ("completions", "--help"),
];

/// The completion script for `shell`, written into the case's directory.
fn script(case: &Case, shell: &str) -> std::path::PathBuf {
    let o = Case::new()
        .cmd("completions")
        .arg(shell)
        .run()
        .expect_code(0);
    let path = case.path(&format!("completion.{shell}"));
    std::fs::write(&path, &o.stdout).unwrap();
    path
}

/// What bash's completion function offers for `words`, the last being completed.
fn bash_complete(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        r#"source '{}'
f=$(complete -p ivvy-import | sed -E 's/.*-F ([^ ]+).*/\1/')
COMP_WORDS=({})
COMP_CWORD={}
"$f" ivvy-import "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        script.display(),
        quoted.join(" "),
        words.len() - 1
    );
    let o = Command::new("bash")
        .arg("--norc")
        .arg("-c")
        .arg(program)
        .output()
        .expect("bash runs");
    assert!(
        o.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn bash_present() -> bool {
    Command::new("bash").arg("--version").output().is_ok()
}

#[test]
fn bash_completes_options_and_values_after_every_subcommand() {
    if !bash_present() {
        eprintln!("skipped: no bash on this machine");
        return;
    }
    let case = Case::new();
    let script = script(&case, "bash");
    assert_eq!(
        bash_complete(&script, &["ivvy-import", "import", "--match"]),
        ["--match-by-name"]
    );
    // export's kind (and its options), not file names.
    let offered = bash_complete(&script, &["ivvy-import", "export", ""]);
    assert!(
        offered.contains(&"sources".to_string()) && offered.contains(&"stages".to_string()),
        "{offered:?}"
    );
    assert!(
        offered
            .iter()
            .all(|o| o.starts_with('-') || o == "sources" || o == "stages"),
        "{offered:?}"
    );
    assert_eq!(
        bash_complete(&script, &["ivvy-import", "import", "a.csv", "--kind", ""]),
        ["sources", "stages"]
    );
    assert!(
        bash_complete(&script, &["ivvy-import", "validate", "--encoding", ""])
            .contains(&"windows-1252".to_string())
    );
    for (sub, option) in OWN_OPTION {
        let offered = bash_complete(&script, &["ivvy-import", sub, "--"]);
        assert!(
            offered.iter().any(|o| o == option),
            "{sub} --<TAB> lacks {option}: {offered:?}"
        );
    }
    // The global options and the subcommands complete too.
    assert!(bash_complete(&script, &["ivvy-import", "imp"]).contains(&"import".to_string()));
}

#[test]
fn zsh_and_fish_scripts_offer_each_subcommands_options() {
    let case = Case::new();
    let fish = std::fs::read_to_string(script(&case, "fish")).unwrap();
    let zsh = std::fs::read_to_string(script(&case, "zsh")).unwrap();
    for (sub, option) in OWN_OPTION {
        let name = option.trim_start_matches('-');
        let on_sub = format!("__fish_ivvy_import_using_subcommand {sub}\"");
        let offered = fish.lines().filter(|l| l.contains(&on_sub)).any(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words.windows(2).any(|w| w == ["-l", name])
        });
        assert!(offered, "fish {sub}: {option}");
        // zsh: the option sits in the subcommand's own `_arguments` block.
        let arm = format!("({sub})");
        let block: Vec<&str> = zsh
            .lines()
            .skip_while(|l| l.trim() != arm)
            .take_while(|l| l.trim() != ";;")
            .collect();
        assert!(!block.is_empty(), "zsh has no block for {sub}");
        let block = block.join("\n");
        assert!(
            block.contains(&format!("{option}[")) || block.contains(&format!("{option}=[")),
            "zsh {sub}: {option}"
        );
    }
}

#[test]
fn man_is_one_page_holding_every_subcommands_options() {
    let o = Case::new().cmd("man").run().expect_code(0);
    let page = o.stdout;
    assert_eq!(page.matches(".TH ").count(), 1, "one page");
    for (sub, option) in OWN_OPTION {
        let heading = format!(".SH \"IVVY-IMPORT {}\"", sub.to_uppercase());
        let start = page
            .find(&heading)
            .unwrap_or_else(|| panic!("no section {heading}"));
        let section = &page[start + heading.len()..];
        let section = &section[..section.find("\n.SH ").unwrap_or(section.len())];
        let roff_option = option.replace('-', "\\-");
        assert!(
            section.contains(&roff_option),
            "{sub}'s section lacks {option}"
        );
    }
    // A subcommand's own page is still there.
    let o = Case::new().cmd("man").arg("import").run().expect_code(0);
    assert!(o.stdout.contains("match\\-by\\-name"));
}
