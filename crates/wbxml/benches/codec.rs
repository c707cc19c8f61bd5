//! Criterion benchmark: decode and encode of the whole test corpus (`tests/corpus/*.xml`).
//!
//! Each iteration handles every corpus document once; throughput is WBXML bytes per second, and
//! the time per document is the iteration time divided by the number of documents (printed at
//! the start). `scripts/bench-libwbxml.sh` times libwbxml's tools on the same documents.
//!
//! The `bundle` group times one large document: an `AirSync:Sync` root holding [`BUNDLE_COPIES`]
//! copies of every corpus tree that libwbxml can read (all but code page 25 and three newer tags),
//! built exactly as `xml2wbxml --bundle` builds the file the libwbxml script times.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use eas_wbxml::{decode, encode, encode_into, from_xml, tags, Element, Tag};

/// Copies of the corpus in the bundle document.
const BUNDLE_COPIES: usize = 100;

/// Tags libwbxml 0.11 does not know, besides code page 25.
const UNKNOWN_TO_LIBWBXML: [Tag; 3] = [
    tags::meeting_response::PROPOSED_START_TIME,
    tags::meeting_response::PROPOSED_END_TIME,
    tags::provision::ACCOUNT_ONLY_REMOTE_WIPE,
];

fn libwbxml_reads(el: &Element) -> bool {
    el.tag.page() != 25
        && !UNKNOWN_TO_LIBWBXML.contains(&el.tag)
        && el.elements().all(libwbxml_reads)
}

fn corpus() -> Vec<(Element, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("read corpus file");
            let tree = from_xml(&text).expect("corpus file parses");
            let bytes = encode(&tree);
            (tree, bytes)
        })
        .collect()
}

fn codec(c: &mut Criterion) {
    let docs = corpus();
    let total: usize = docs.iter().map(|(_, b)| b.len()).sum();
    println!(
        "corpus: {} documents, {total} bytes of WBXML (largest {} bytes)",
        docs.len(),
        docs.iter().map(|(_, b)| b.len()).max().unwrap_or(0)
    );
    let mut group = c.benchmark_group("corpus");
    group.throughput(Throughput::Bytes(total as u64));
    group.bench_function("decode", |b| {
        b.iter(|| {
            for (_, bytes) in &docs {
                black_box(decode(black_box(bytes)).is_ok());
            }
        })
    });
    group.bench_function("encode", |b| {
        b.iter(|| {
            for (tree, _) in &docs {
                black_box(encode(black_box(tree)));
            }
        })
    });
    group.bench_function("encode_into_reused_buffer", |b| {
        let mut out = Vec::with_capacity(64 * 1024);
        b.iter(|| {
            for (tree, _) in &docs {
                out.clear();
                encode_into(black_box(tree), &mut out);
                black_box(out.len());
            }
        })
    });
    group.finish();

    let mut bundle = Element::new(tags::air_sync::SYNC);
    let readable: Vec<&Element> = docs
        .iter()
        .map(|(t, _)| t)
        .filter(|t| libwbxml_reads(t))
        .collect();
    for _ in 0..BUNDLE_COPIES {
        for tree in &readable {
            bundle.push((*tree).clone());
        }
    }
    let bytes = encode(&bundle);
    println!(
        "bundle: {BUNDLE_COPIES} x {} documents, {} bytes of WBXML",
        readable.len(),
        bytes.len()
    );
    let mut group = c.benchmark_group("bundle");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.sample_size(30);
    group.bench_function("decode", |b| {
        b.iter(|| black_box(decode(black_box(&bytes)).is_ok()))
    });
    group.bench_function("encode", |b| {
        b.iter(|| black_box(encode(black_box(&bundle))))
    });
    group.finish();
}

criterion_group!(benches, codec);
criterion_main!(benches);
