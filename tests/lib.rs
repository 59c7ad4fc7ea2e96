//! The integration tests, in one binary: the CLI end to end, the import against the emulator
//! over loopback, the library's `run`, properties of the reader, and snapshots of what the
//! user sees. Tests of private functions live beside them in `src/`.
//!
//! Every test is written with [`support::Case`]: input files in a fresh directory, a command
//! line, optionally an emulator in this process; `run()` gives the exit code, the output and
//! the parsed results file.

mod support;

mod cases {
    mod bounded;
    mod cli;
    mod csv_reading;
    mod emulator;
    mod exactly_once;
    mod excel_safe;
    mod habits;
    mod import;
    mod json;
    mod library;
    mod one_run;
    mod ops;
    mod outputs;
    mod plan;
    mod progress;
    mod props;
    mod read_validate;
    mod repeat;
    mod resume;
    mod safety;
    mod shell;
    mod snapshots;
    mod values;
    mod workbooks;
}
