//! `flv`: the command-line client.

fn main() -> anyhow::Result<()> {
    Ok(())
}
