//! Builds kernels.cu as host C++ through the shim header, from the same source file
//! NVRTC compiles for the GPU.

fn main() {
    println!("cargo:rerun-if-changed=../src/kernels.cu");
    println!("cargo:rerun-if-changed=cuda_host_shim.h");
    println!("cargo:rerun-if-changed=device_host.cpp");
    cc::Build::new()
        .cpp(true)
        .cpp_link_stdlib(None)
        .file("device_host.cpp")
        .flag_if_supported("-std=c++17")
        .flag_if_supported("-Wno-unknown-pragmas")
        .flag_if_supported("-Wno-unused-parameter")
        .opt_level(2)
        .compile("ignis_device_host");
}
