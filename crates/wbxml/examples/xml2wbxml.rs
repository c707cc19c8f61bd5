//! Converts XML-form documents (the corpus) to WBXML files: `xml2wbxml OUT_DIR FILE.xml...`.
//!
//! Used by `scripts/fuzz.sh` (seed corpus) and `scripts/bench-libwbxml.sh`; each FILE.xml becomes
//! OUT_DIR/FILE.wbxml.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((out_dir, files)) = args.split_first() else {
        eprintln!("usage: xml2wbxml OUT_DIR FILE.xml...");
        return ExitCode::from(2);
    };
    if let Err(e) = std::fs::create_dir_all(out_dir) {
        eprintln!("cannot create {out_dir}: {e}");
        return ExitCode::FAILURE;
    }
    let mut status = ExitCode::SUCCESS;
    for file in files {
        let path = Path::new(file);
        let result = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| eas_wbxml::from_xml(&text).map_err(|e| e.to_string()));
        match result {
            Ok(tree) => {
                let stem = path.file_stem().unwrap_or_default().to_string_lossy();
                let out = Path::new(out_dir).join(format!("{stem}.wbxml"));
                if let Err(e) = std::fs::write(&out, eas_wbxml::encode(&tree)) {
                    eprintln!("{}: {e}", out.display());
                    status = ExitCode::FAILURE;
                }
            }
            Err(e) => {
                eprintln!("{file}: {e}");
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}
