//! `ignis up` as a new user runs it: a first start, a job through the whole network,
//! Ctrl-C. Nothing is wrong, so nothing may say ERROR or WARN: warnings are for what a
//! user should act on, and a console that cries wolf teaches people to ignore it.

use std::{
    io::{BufRead, BufReader, Read},
    net::TcpListener,
    process::{Command, Stdio},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use serde_json::Value;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn a_first_ignis_up_runs_a_job_without_any_error_or_warning() {
    let state = tempfile::tempdir().unwrap();
    let (rpc, ws, api, app) = (free_port(), free_port(), free_port(), free_port());
    let mut up = Command::new(env!("CARGO_BIN_EXE_ignis"))
        .args(["up", "--skip-app-build", "--workers", "1"])
        .args(["--rpc-port", &rpc.to_string(), "--ws-port", &ws.to_string()])
        .args(["--api-port", &api.to_string(), "--app-port", &app.to_string()])
        .args(["--slot-time-ms", "100", "--app-dir", "/nonexistent-app"])
        // Small enough to show an oversize file refused.
        .args(["--blob-max-bytes", "1000000"])
        .arg("--state-dir")
        .arg(state.path().join("state"))
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ignis runs");

    // stderr is drained whole in the background; stdout line by line until it is up.
    let mut stderr = up.stderr.take().unwrap();
    let stderr_text = thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).ok();
        text
    });
    let (lines, stdout_lines) = mpsc::channel();
    let stdout = BufReader::new(up.stdout.take().unwrap());
    let stdout_text = thread::spawn(move || {
        let mut text = String::new();
        for line in stdout.lines().map_while(Result::ok) {
            text.push_str(&line);
            text.push('\n');
            lines.send(line).ok();
        }
        text
    });
    let started = Instant::now();
    loop {
        let line = stdout_lines.recv_timeout(Duration::from_secs(120)).expect("ignis up starts");
        if line.contains("Ignis is running") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "ignis up did not start");
    }

    // A PoW job through the network: posted, matched, worked, paid.
    let url = format!("http://127.0.0.1:{rpc}");
    let wallet = state.path().join("state/demo-wallet.json");
    let ignis = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_ignis"))
            .args(["--url", &url, "--keypair", wallet.to_str().unwrap(), "--output", "json"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let posted = ignis(&["job", "post", "--pow", "12", "--reward", "1"]);
    let id = posted["id"].as_u64().expect("job id").to_string();
    let deadline = Instant::now() + Duration::from_secs(120);
    while ignis(&["job", "show", &id])["status"] != "completed" {
        assert!(Instant::now() < deadline, "the job did not complete");
        thread::sleep(Duration::from_millis(300));
    }

    // The data plane through the CLI: a file goes up, is listed, and comes back intact;
    // an unknown hash is a named error.
    let api_url = format!("http://127.0.0.1:{api}");
    let input = state.path().join("input.bin");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&input, &data).unwrap();
    let put = ignis(&["blob", "--api", &api_url, "put", input.to_str().unwrap()]);
    let sha256 = put[0]["sha256"].as_str().expect("a hash").to_string();
    assert_eq!(put[0]["size"], 300_000);
    let listed = ignis(&["blob", "--api", &api_url, "ls"]);
    assert_eq!(listed[0]["sha256"], sha256.as_str());
    let copy = state.path().join("copy.bin");
    ignis(&["blob", "--api", &api_url, "get", &sha256, "--out", copy.to_str().unwrap()]);
    assert_eq!(std::fs::read(&copy).unwrap(), data);
    let unknown = Command::new(env!("CARGO_BIN_EXE_ignis"))
        .args(["--keypair", wallet.to_str().unwrap(), "blob", "--api", &api_url, "get"])
        .args([&"ab".repeat(32), "--out", "/tmp/never-written"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&unknown.stderr);
    assert!(!unknown.status.success() && said.contains("no blob has SHA-256"), "{said}");
    assert!(
        state
            .path()
            .join("state/history")
            .read_dir()
            .unwrap()
            .any(|entry| { entry.unwrap().file_name().to_string_lossy().starts_with("blobs-") }),
        "blobs live with the network's state"
    );

    // A job on the poster's data: the digits model on ten test digits, posted with its
    // files, computed, verified, and its output downloaded and checked.
    let digits = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/digits");
    let batch = ignis_kernels::tensors::read_npy_matrix_i8(
        "digits",
        &std::fs::read(format!("{digits}/test_inputs.npy")).unwrap(),
    )
    .unwrap();
    let ten =
        ignis_kernels::tensors::MatrixI8 { rows: 10, cols: 64, data: batch.data[..640].to_vec() };
    let ten_file = state.path().join("ten.npy");
    std::fs::write(&ten_file, ignis_kernels::tensors::npy_matrix_i8(&ten)).unwrap();
    let model = format!("{digits}/model.safetensors");
    let post_mlp = |input: &std::path::Path| -> Vec<String> {
        let input = input.to_str().unwrap();
        ["job", "post", "--kernel", "mlp-i8", "--model", &model, "--input", input]
            .into_iter()
            .chain(["--reward", "1", "--api", &api_url])
            .map(String::from)
            .collect()
    };
    fn as_strs(args: &[String]) -> Vec<&str> {
        args.iter().map(String::as_str).collect()
    }
    let posted = ignis(&as_strs(&post_mlp(&ten_file)));
    let id = posted["id"].as_u64().expect("job id").to_string();
    let deadline = Instant::now() + Duration::from_secs(120);
    while ignis(&["job", "show", &id])["status"] != "completed" {
        assert!(Instant::now() < deadline, "the mlp-i8 job did not complete");
        thread::sleep(Duration::from_millis(300));
    }
    let out = state.path().join("logits.npy");
    let result = ignis(&["job", "result", &id, "--out", out.to_str().unwrap(), "--api", &api_url]);
    let expected = ignis_kernels::tensors::read_mlp(&std::fs::read(&model).unwrap())
        .unwrap()
        .infer(&ten.data, 10);
    assert_eq!(result["predictions"], serde_json::json!(expected.predictions));
    let (_, _, logits) =
        ignis_kernels::tensors::read_npy_matrix_i32("out", &std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(logits, expected.logits, "the output file is the model's logits");
    // A file of the wrong dtype, a truncated file and one over the data plane's size
    // limit are each refused by name before anything is paid, and nothing already
    // stored is lost.
    let fails = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_ignis"))
            .args(["--url", &url, "--keypair", wallet.to_str().unwrap()])
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "`ignis {}` should fail", args.join(" "));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let wrong = state.path().join("wrong.npy");
    std::fs::write(&wrong, ignis_kernels::tensors::npy_matrix_i32(10, 64, &[0; 640])).unwrap();
    let said = fails(&as_strs(&post_mlp(&wrong)));
    assert!(said.contains("wrong.npy") && said.contains("int8"), "{said}");
    let whole = std::fs::read(&ten_file).unwrap();
    let truncated = state.path().join("truncated.npy");
    std::fs::write(&truncated, &whole[..whole.len() - 100]).unwrap();
    let said = fails(&as_strs(&post_mlp(&truncated)));
    assert!(said.contains("truncated.npy") && said.contains("not a readable .npy"), "{said}");
    let big = state.path().join("big.bin");
    std::fs::write(&big, vec![7u8; 1_200_000]).unwrap();
    let said = fails(&["blob", "--api", &api_url, "put", big.to_str().unwrap()]);
    assert!(said.contains("at most 1000000 bytes") && said.contains("HTTP 413"), "{said}");
    let stored =
        ignis(&["blob", "--api", &api_url, "get", &sha256, "--out", copy.to_str().unwrap()]);
    assert_eq!(stored["size"], 300_000, "what was stored is still there");
    assert_eq!(std::fs::read(&copy).unwrap(), data);

    let interrupted = Command::new("kill").args(["-INT", &up.id().to_string()]).status().unwrap();
    assert!(interrupted.success());
    let status = up.wait().unwrap();
    let output = stdout_text.join().unwrap() + &stderr_text.join().unwrap();
    assert!(status.success(), "ignis up exited with {status}:\n{output}");
    // Levels as tracing prints them, colours or not.
    let alarms: Vec<&str> =
        output.lines().filter(|line| line.contains("ERROR") || line.contains("WARN")).collect();
    assert!(alarms.is_empty(), "nothing was wrong, yet ignis up said:\n{}", alarms.join("\n"));
}
