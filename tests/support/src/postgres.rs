//! A PostgreSQL server of a test's own, from Debian's `postgresql` package (which
//! `scripts/test` installs): `initdb` into a temporary directory, `pg_ctl start` on a
//! free port, stopped when dropped. As root it runs as the package's `postgres` user,
//! since PostgreSQL refuses to run as root.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Command, Output},
};

use tempfile::TempDir;

pub struct Postgres {
    bin: PathBuf,
    dir: TempDir,
    port: u16,
    as_postgres_user: bool,
}

/// The newest installed server's programs, or `IGNIS_POSTGRES_BIN`.
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("IGNIS_POSTGRES_BIN") {
        return dir.into();
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("postgres").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).unwrap_or_else(|| {
        panic!(
            "PostgreSQL is not installed: `apt-get install postgresql` (scripts/test does), or point IGNIS_POSTGRES_BIN at its bin directory"
        )
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

impl Postgres {
    /// Starts a server with one superuser, `ignis`, trusted on 127.0.0.1.
    pub fn start() -> Postgres {
        let bin = bin_dir();
        let dir = tempfile::Builder::new().prefix("ignis-postgres").tempdir().expect("temp dir");
        let as_postgres_user = is_root();
        if as_postgres_user {
            let owned = Command::new("chown").arg("-R").arg("postgres").arg(dir.path()).status();
            assert!(owned.is_ok_and(|s| s.success()), "chown the data directory to postgres");
        }
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let postgres = Postgres { bin, dir, port, as_postgres_user };
        let data = postgres.data();
        postgres.run("initdb", &["-D", &data, "-U", "ignis", "--auth=trust", "-E", "UTF8"]);
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            postgres.dir.path().display()
        );
        let log = postgres.dir.path().join("server.log");
        postgres.run(
            "pg_ctl",
            &["-D", &data, "-o", &options, "-l", &log.to_string_lossy(), "-w", "start"],
        );
        postgres
    }

    fn data(&self) -> String {
        self.dir.path().join("data").to_string_lossy().into_owned()
    }

    /// One of the server's programs, as the user the server runs as.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres_user {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        // The postgres user may not enter the test's working directory.
        command.current_dir(Path::new("/"));
        command
    }

    fn run(&self, program: &str, args: &[&str]) -> Output {
        let output = self.command(program).args(args).output();
        let program = self.bin.join(program);
        let output = output.unwrap_or_else(|err| panic!("{} runs: {err}", program.display()));
        assert!(
            output.status.success(),
            "{} {args:?} failed: {}{}",
            program.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Creates an empty database and returns its URL.
    pub fn database(&self, name: &str) -> String {
        let port = self.port.to_string();
        self.run("createdb", &["-h", "127.0.0.1", "-p", &port, "-U", "ignis", name]);
        format!("postgres://ignis@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data();
        let _ =
            self.command("pg_ctl").args(["-D", &data, "-m", "immediate", "-w", "stop"]).output();
    }
}
