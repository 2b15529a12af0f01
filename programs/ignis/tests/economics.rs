//! `cargo run --ignore-rust-version -p ignis-program-tests --bin ignis-economics [EPOCHS]`:
//! plays every attacker strategy against honest workers, posters and stakers for EPOCHS
//! work-rate epochs (default 100) and prints each party's net IGN as a table. Exits
//! non-zero if a property fails (see `ignis_program_tests::economics`).

fn main() {
    let epochs =
        std::env::args().nth(1).map_or(100, |arg| arg.parse().expect("EPOCHS is a number"));
    let started = std::time::Instant::now();
    let report = ignis_program_tests::economics::run(epochs);
    print!("{}", ignis_program_tests::economics::table(&report));
    println!("({:.1} s)", started.elapsed().as_secs_f64());
    if !report.all_hold() {
        eprintln!("a strategy broke its property: see the rows marked NO");
        std::process::exit(1);
    }
}
