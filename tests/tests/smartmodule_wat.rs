//! The test SmartModules (`tests/smartmodules/*.wat`) run in a WebAssembly interpreter
//! the way the SPU's engine runs them (alloc, copy the input, call the transform, read what
//! it passed to `copy_records`), on `SmartModuleInput`s encoded by the upstream
//! `fluvio-smartmodule` crate; the output decodes as an upstream `SmartModuleOutput`. The
//! same modules run on a real SPU in `real_smartmodule.rs`.

use fluvio_protocol::record::Record;
use fluvio_protocol::{Decoder as _, Encoder as _};
use fluvio_smartmodule::dataplane::smartmodule::{SmartModuleInput, SmartModuleOutput};
use flv_tests::smartmodules::{filter_wasm, map_wasm};
use wasmi::{Caller, Engine, Extern, Linker, Module, Store};

/// Runs `function` of `wasm` on `input` at `version`; the output bytes it handed back.
fn run(wasm: &[u8], function: &str, input: &SmartModuleInput, version: i16) -> Vec<u8> {
    let engine = Engine::default();
    let module = Module::new(&engine, wasm).expect("valid module");
    let mut store = Store::new(&engine, Vec::<u8>::new());
    let mut linker = Linker::<Vec<u8>>::new(&engine);
    linker
        .func_wrap(
            "env",
            "copy_records",
            |mut caller: Caller<'_, Vec<u8>>, ptr: i32, len: i32| {
                let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
                    panic!("no memory export");
                };
                let mut out = vec![0; len as usize];
                memory
                    .read(&caller, ptr as usize, &mut out)
                    .expect("in bounds");
                *caller.data_mut() = out;
            },
        )
        .expect("link");
    let instance = linker
        .instantiate_and_start(&mut store, &module)
        .expect("instantiate");
    let mut bytes = Vec::new();
    input.encode(&mut bytes, version).expect("encode input");
    let alloc = instance
        .get_typed_func::<i32, i32>(&store, "alloc")
        .expect("alloc");
    let ptr = alloc.call(&mut store, bytes.len() as i32).expect("alloc");
    let memory = instance.get_memory(&store, "memory").expect("memory");
    memory
        .write(&mut store, ptr as usize, &bytes)
        .expect("input fits");
    let transform = instance
        .get_typed_func::<(i32, i32, i32), i32>(&store, function)
        .expect("transform");
    let status = transform
        .call(&mut store, (ptr, bytes.len() as i32, i32::from(version)))
        .expect("no trap");
    assert_eq!(status, 0, "{function} returned an error status");
    std::mem::take(store.data_mut())
}

fn decode_output(bytes: &[u8], version: i16) -> SmartModuleOutput {
    let mut out = SmartModuleOutput::default();
    let mut cursor = std::io::Cursor::new(bytes);
    out.decode(&mut cursor, version).expect("upstream decodes");
    assert_eq!(cursor.position() as usize, bytes.len(), "trailing bytes");
    assert!(out.error.is_none());
    out
}

/// Records with and without keys, empty values, and values long enough for multi-byte
/// length varints.
fn records() -> Vec<Record> {
    let mut records = vec![
        Record::new("apple"),
        Record::new("fruit"),
        Record::new_key_value("k1", "banana"),
        Record::new_key_value("kiwi-with-a-key", "cherry"),
        Record::new(""),
        Record::new_key_value("", "a"),
    ];
    for i in 0..300 {
        let value = if i % 3 == 0 {
            format!("{}a{}", "x".repeat(i), "y".repeat(i % 7))
        } else {
            "z".repeat(i * 5)
        };
        records.push(Record::new(value));
    }
    records
}

fn values(records: &[Record]) -> Vec<Vec<u8>> {
    records.iter().map(|r| r.value.as_ref().to_vec()).collect()
}

fn keys(records: &[Record]) -> Vec<Option<Vec<u8>>> {
    records
        .iter()
        .map(|r| r.key.as_ref().map(|k| k.as_ref().to_vec()))
        .collect()
}

/// The SmartModule versions the SPU speaks (the SmartModuleInput layout changes at 16 and 22).
const VERSIONS: [i16; 4] = [16, 21, 22, 25];

#[test]
fn filter_keeps_the_records_whose_value_contains_a() {
    let wasm = filter_wasm();
    for version in VERSIONS {
        let input = records();
        let want: Vec<Record> = input
            .iter()
            .filter(|r| r.value.as_ref().contains(&b'a'))
            .cloned()
            .collect();
        assert!(want.len() > 100 && want.len() < input.len());
        let sm_input = SmartModuleInput::try_from_records(input, version).unwrap();
        let out = decode_output(&run(&wasm, "filter", &sm_input, version), version);
        assert_eq!(values(&out.successes), values(&want), "version {version}");
        assert_eq!(keys(&out.successes), keys(&want), "version {version}");
    }
}

#[test]
fn map_upper_cases_every_value() {
    let wasm = map_wasm();
    for version in VERSIONS {
        let input = records();
        let want: Vec<Vec<u8>> = input
            .iter()
            .map(|r| r.value.as_ref().to_ascii_uppercase())
            .collect();
        let want_keys = keys(&input);
        let sm_input = SmartModuleInput::try_from_records(input, version).unwrap();
        let out = decode_output(&run(&wasm, "map", &sm_input, version), version);
        assert_eq!(values(&out.successes), want, "version {version}");
        assert_eq!(keys(&out.successes), want_keys, "version {version}");
    }
}

#[test]
fn empty_input_gives_empty_output() {
    for (wasm, function) in [(filter_wasm(), "filter"), (map_wasm(), "map")] {
        let input = SmartModuleInput::try_from_records(Vec::new(), 22).unwrap();
        let out = decode_output(&run(&wasm, function, &input, 22), 22);
        assert!(out.successes.is_empty(), "{function}");
        let raw = SmartModuleInput::new(Vec::new(), 0, 0);
        let out = decode_output(&run(&wasm, function, &raw, 22), 22);
        assert!(out.successes.is_empty(), "{function} on no bytes at all");
    }
}

#[test]
fn repeated_calls_reuse_memory() {
    // The allocator resets after each call: a long stream does not grow the module's memory.
    let wasm = filter_wasm();
    let engine_input = SmartModuleInput::try_from_records(records(), 22).unwrap();
    let first = run(&wasm, "filter", &engine_input, 22);
    let again = run(&wasm, "filter", &engine_input, 22);
    assert_eq!(first, again);
}
