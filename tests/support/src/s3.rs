//! A real S3-compatible server (`s3s-fs`: the S3 API over a directory, with SigV4
//! authentication) on a free loopback port, for tests of the data plane's S3 path.

use std::path::{Path, PathBuf};

use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto::Builder as ConnBuilder,
};
use s3s::{auth::SimpleAuth, service::S3ServiceBuilder};
use tokio::net::TcpListener;

pub const ACCESS_KEY: &str = "ignis-test";
pub const SECRET_KEY: &str = "ignis-test-secret-key";
pub const REGION: &str = "us-east-1";

/// A running server; it stops when dropped.
pub struct S3Server {
    pub endpoint: String,
    pub root: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl S3Server {
    /// Serves `root`, whose subdirectories are buckets; `buckets` are created.
    pub async fn start(root: &Path, buckets: &[&str]) -> S3Server {
        for bucket in buckets {
            std::fs::create_dir_all(root.join(bucket)).expect("bucket directory");
        }
        let fs = s3s_fs::FileSystem::new(root).expect("s3s-fs opens its root");
        let service = {
            let mut builder = S3ServiceBuilder::new(fs);
            builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
            builder.build()
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let endpoint = format!("http://{}", listener.local_addr().expect("bound"));
        let task = tokio::spawn(async move {
            let http = ConnBuilder::new(TokioExecutor::new());
            while let Ok((socket, _)) = listener.accept().await {
                let connection =
                    http.serve_connection(TokioIo::new(socket), service.clone()).into_owned();
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
        });
        S3Server { endpoint, root: root.to_path_buf(), task }
    }

    /// object_store options that reach this server.
    pub fn options(&self) -> Vec<(String, String)> {
        [
            ("aws_endpoint", self.endpoint.as_str()),
            ("aws_allow_http", "true"),
            ("aws_access_key_id", ACCESS_KEY),
            ("aws_secret_access_key", SECRET_KEY),
            ("aws_region", REGION),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}
