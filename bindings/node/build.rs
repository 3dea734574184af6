//! Link settings of the addon (N-API symbols resolved by Node at load time).

fn main() {
    napi_build::setup();
}
