//! The command line as a shell and `man` see it: completion scripts and the manual page,
//! generated from `cli.rs`'s definitions.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::Cli;

/// The shell completion script of the command line.
pub fn completions(
    shell: clap_complete::Shell,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    // clap_complete panics on a failed write: it writes to memory, and we to `out`.
    let mut script = Vec::new();
    if shell != clap_complete::Shell::Bash {
        clap_complete::generate(shell, &mut Cli::command(), BIN, &mut script);
        return out.write_all(&script);
    }
    // clap_complete's bash script for a hyphenated name spells its subcommands' case arms
    // one way and matches them another (clap-rs/clap#6421), so nothing after a subcommand
    // completes: generate it under a name without a hyphen and register it for the real one.
    clap_complete::generate(shell, &mut Cli::command(), BASH_NAME, &mut script);
    let text = String::from_utf8_lossy(&script);
    let suffix = format!(" {BASH_NAME}");
    for line in text.lines() {
        match line.strip_suffix(&suffix) {
            Some(head) if line.trim_start().starts_with("complete ") => {
                writeln!(out, "{head} {BIN}")?;
            }
            _ => writeln!(out, "{line}")?,
        }
    }
    Ok(())
}

/// The command's name.
const BIN: &str = "ivvy-import";
/// The name the bash completion script is generated under.
const BASH_NAME: &str = "ivvy_import";

/// The manual page (roff): with no subcommand, one page holding every subcommand's options;
/// else that subcommand's own page. None: no such subcommand.
pub fn man(subcommand: Option<&str>, out: &mut dyn Write) -> Option<std::io::Result<()>> {
    let cmd = Cli::command();
    match subcommand {
        None => Some(whole_page(&cmd, out)),
        Some(name) => {
            let sub = cmd.find_subcommand(name)?.clone();
            let page = sub
                .display_name(format!("{BIN}-{name}"))
                .bin_name(format!("{BIN} {name}"));
            Some(clap_mangen::Man::new(page).render(out))
        }
    }
}

/// The main page, then a section per subcommand: its synopsis, description and options.
fn whole_page(cmd: &clap::Command, out: &mut dyn Write) -> std::io::Result<()> {
    let main = clap_mangen::Man::new(cmd.clone());
    main.render_title(out)?;
    main.render_name_section(out)?;
    main.render_synopsis_section(out)?;
    main.render_description_section(out)?;
    main.render_options_section(out)?;
    main.render_subcommands_section(out)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name().to_string();
        let page = clap_mangen::Man::new(sub.clone().bin_name(format!("{BIN} {name}")));
        let mut text = Vec::new();
        page.render_synopsis_section(&mut text)?;
        page.render_description_section(&mut text)?;
        page.render_options_section(&mut text)?;
        if sub.get_after_help().is_some() {
            page.render_extra_section(&mut text)?;
        }
        writeln!(
            out,
            ".SH \"{} {}\"",
            BIN.to_uppercase(),
            name.to_uppercase()
        )?;
        // The subcommand's sections become subsections of its own.
        for line in String::from_utf8_lossy(&text).lines() {
            match line.strip_prefix(".SH ") {
                // A subcommand's after-help holds its examples.
                Some("EXTRA") => writeln!(out, ".SS EXAMPLES")?,
                Some(title) => writeln!(out, ".SS {title}")?,
                None => writeln!(out, "{line}")?,
            }
        }
    }
    main.render_extra_section(out)?;
    main.render_version_section(out)
}
