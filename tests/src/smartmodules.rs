//! SmartModules for tests, written in WebAssembly text (`tests/smartmodules/*.wat`): a
//! filter that keeps the records whose value contains `a`, and a map that upper-cases each
//! value. CI runs them in a WebAssembly interpreter against records encoded by the
//! upstream crates (`tests/tests/smartmodule_wat.rs`); `tests/tests/real_smartmodule.rs`
//! runs them on a real SPU through `flv consume --sm` / `--smartmodule-path`.

/// The ABI part both modules share: imports, memory, allocator, record parsing.
pub const ABI_WAT: &str = include_str!("../smartmodules/abi.wat");
/// The filter function (`filter`): keeps the records whose value contains `a`.
pub const FILTER_WAT: &str = include_str!("../smartmodules/filter.wat");
/// The map function (`map`): upper-cases the ASCII letters of each value.
pub const MAP_WAT: &str = include_str!("../smartmodules/map.wat");

/// The filter SmartModule as WebAssembly bytes.
pub fn filter_wasm() -> Vec<u8> {
    module(FILTER_WAT)
}

/// The map SmartModule as WebAssembly bytes.
pub fn map_wasm() -> Vec<u8> {
    module(MAP_WAT)
}

/// `(module ABI function)`, assembled. The text is this crate's own: a failure is a bug in
/// it, so it panics with the assembler's message.
fn module(function: &str) -> Vec<u8> {
    match wat::parse_str(format!("(module\n{ABI_WAT}\n{function})")) {
        Ok(wasm) => wasm,
        Err(e) => panic!("tests/smartmodules: invalid WebAssembly text: {e}"),
    }
}
