//! Generates the gRPC client and server code from `proto/` with a vendored `protoc`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    // SAFETY: build scripts are single-threaded; prost-build reads PROTOC from the environment.
    unsafe { std::env::set_var("PROTOC", protoc) };
    // Read at run time: cargo may reuse this build script, compiled in another copy of the
    // workspace, whose compile-time path would point there.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR")?;
    let root = std::path::Path::new(&manifest_dir).join("../../proto");
    let files = [
        root.join("eas/mail/v1/mail.proto"),
        root.join("eas/contacts/v1/contacts.proto"),
        root.join("eas/calendar/v1/calendar.proto"),
    ];
    let shared = [root.join("eas/collections/v1/collections.proto")];
    for f in files.iter().chain(&shared) {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    // The services' own protos import the messages of the collection contract every data
    // service serves, and refer to `crate::collections` for them. That contract is generated
    // last: the first run also writes its package's file (with the services alone), and this
    // one replaces it whole.
    tonic_prost_build::configure()
        .extern_path(".eas.collections.v1", "crate::collections")
        .compile_protos(&files, std::slice::from_ref(&root))?;
    tonic_prost_build::configure().compile_protos(&shared, &[root])?;
    Ok(())
}
