//! SmartModule and transforms flags shared by `flv produce` and `flv consume`, with the
//! official CLI's names, aliases and rules (`--smartmodule/--sm`, `--smartmodule-path`,
//! `-e/--params`, `--aggregate-initial`, `-t/--transforms`, `--transforms-line`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use flv_driver::core::spu::SmartModuleInvocation;
use serde::Deserialize;

/// The SmartModule flags.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct SmartModuleOpts {
    /// Name of the smartmodule
    #[arg(
        long,
        group("smartmodule_group"),
        group("aggregate_group"),
        alias = "sm",
        value_name = "SMARTMODULE"
    )]
    pub smartmodule: Option<String>,

    /// Path to the smart module
    #[arg(
        long,
        group("smartmodule_group"),
        group("aggregate_group"),
        alias = "sm_path",
        value_name = "SMARTMODULE_PATH"
    )]
    pub smartmodule_path: Option<PathBuf>,

    /// (Optional) Value to use as an initial accumulator for aggregate SmartModules
    #[arg(
        long,
        requires = "aggregate_group",
        alias = "a-init",
        value_name = "AGGREGATE_INITIAL"
    )]
    pub aggregate_initial: Option<String>,

    /// (Optional) Extra input parameters passed to the smartmodule, as key=value
    /// (repeatable: -e foo=bar -e one=1)
    #[arg(
        short = 'e',
        long = "params",
        requires = "smartmodule_group",
        value_parser = parse_key_val,
        num_args = 1,
        value_name = "PARAMS"
    )]
    pub params: Vec<(String, String)>,

    /// (Optional) Path to a file with transformation specification
    #[arg(
        short = 't',
        long,
        conflicts_with = "smartmodule_group",
        alias = "transforms-file",
        value_name = "TRANSFORMS"
    )]
    pub transforms: Option<PathBuf>,

    /// (Optional) Transformation specification as JSON formatted string, e.g.
    /// --transforms-line='{"uses":"infinyon/jolt@0.1.0","with":{"spec":"[...]"}}'
    #[arg(
        long,
        conflicts_with_all = ["smartmodule_group", "transforms"],
        alias = "transform",
        value_name = "TRANSFORMS_LINE"
    )]
    pub transforms_line: Vec<String>,
}

/// `key=value` of `-e` (the value may contain `=`).
pub(crate) fn parse_key_val(text: &str) -> Result<(String, String), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("invalid KEY=value: no `=` found in `{text}`"))?;
    Ok((key.to_owned(), value.to_owned()))
}

/// A transforms file: `transforms:` then steps, as the official `TransformationConfig`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TransformationConfig {
    /// The chain of SmartModules, applied in order.
    pub transforms: Vec<TransformationStep>,
}

/// One step of a transforms chain.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TransformationStep {
    /// The SmartModule (its name in the cluster, e.g. `infinyon/jolt@0.1.0`).
    pub uses: String,
    /// Replay of past records into the module.
    #[serde(default)]
    pub lookback: Option<LookbackConfig>,
    /// Parameters; a map or a list is passed on as its JSON text (as upstream).
    #[serde(default)]
    pub with: BTreeMap<String, serde_json::Value>,
}

/// `lookback:` of a step: `last` records, of at most `age` (e.g. `1h`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LookbackConfig {
    /// Number of records.
    #[serde(default)]
    pub last: u64,
    /// Maximum age (humantime).
    #[serde(default)]
    pub age: Option<String>,
}

impl TransformationConfig {
    /// Reads a YAML (or JSON) transforms file.
    pub(crate) fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read transforms file {}", path.display()))?;
        serde_yaml::from_str(&text).with_context(|| {
            format!(
                "unable to process `transforms` argument: {} is not a transforms file",
                path.display()
            )
        })
    }

    /// Steps given as JSON lines (`--transforms-line`).
    pub(crate) fn from_lines(lines: &[String]) -> anyhow::Result<Self> {
        let transforms = lines
            .iter()
            .map(|line| {
                serde_json::from_str(line)
                    .with_context(|| format!("unable to parse `transform` argument `{line}`"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self { transforms })
    }

    /// One invocation per step, all named by the joined `uses` (as upstream).
    pub(crate) fn invocations(self) -> anyhow::Result<Vec<SmartModuleInvocation>> {
        let name = self
            .transforms
            .iter()
            .map(|t| t.uses.as_str())
            .collect::<Vec<_>>()
            .join(",");
        self.transforms
            .into_iter()
            .map(|step| {
                let params = step.with.into_iter().map(|(k, v)| {
                    let v = match v {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, v)
                });
                let mut sm = SmartModuleInvocation::predefined(step.uses).params(params);
                sm.name = Some(name.clone());
                if let Some(lookback) = step.lookback {
                    let age = lookback
                        .age
                        .as_deref()
                        .map(humantime::parse_duration)
                        .transpose()
                        .context("invalid lookback age")?;
                    sm = sm.lookback(lookback.last, age);
                }
                Ok(sm)
            })
            .collect()
    }
}

impl SmartModuleOpts {
    /// The invocations the flags ask for (empty without SmartModule flags).
    pub(crate) fn invocations(&self) -> anyhow::Result<Vec<SmartModuleInvocation>> {
        let params = self.params.iter().cloned();
        let with_context = |sm: SmartModuleInvocation| match &self.aggregate_initial {
            Some(acc) => sm.aggregate_initial(acc.clone().into_bytes()),
            None => sm,
        };
        if let Some(name) = &self.smartmodule {
            return Ok(vec![with_context(
                SmartModuleInvocation::predefined(name.clone()).params(params),
            )]);
        }
        if let Some(path) = &self.smartmodule_path {
            let raw = std::fs::read(path)
                .with_context(|| format!("cannot read SmartModule {}", path.display()))?;
            if raw.is_empty() {
                bail!("SmartModule file {} is empty", path.display());
            }
            let name = path
                .file_name()
                .and_then(|s| s.to_str())
                .unwrap_or("unknown");
            let sm = SmartModuleInvocation::adhoc(name, &raw)
                .with_context(|| format!("cannot compress {}", path.display()))?;
            return Ok(vec![with_context(sm.params(params))]);
        }
        if !self.transforms_line.is_empty() {
            return TransformationConfig::from_lines(&self.transforms_line)?.invocations();
        }
        if let Some(path) = &self.transforms {
            return TransformationConfig::from_file(path)?.invocations();
        }
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flv_driver::core::spu::{
        Lookback, SmartModuleContextData, SmartModuleInvocationWasm, SmartModuleKind,
    };
    use std::time::Duration;

    #[test]
    fn key_values_split_on_the_first_equals() {
        assert_eq!(parse_key_val("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert!(parse_key_val("ab").is_err());
    }

    #[test]
    fn transforms_files_become_a_chain() {
        let config: TransformationConfig = serde_yaml::from_str(
            "transforms:\n  - uses: infinyon/jolt@0.1.0\n    with:\n      spec:\n        - operation: default\n  - uses: my/filter@1.0.0\n    lookback:\n      last: 10\n      age: 1h\n    with:\n      key: value\n",
        )
        .unwrap();
        let sms = config.invocations().unwrap();
        assert_eq!(sms.len(), 2);
        assert_eq!(
            sms[0].wasm,
            SmartModuleInvocationWasm::Predefined("infinyon/jolt@0.1.0".into())
        );
        assert_eq!(
            sms[0].params.inner["spec"],
            "[{\"operation\":\"default\"}]".to_string()
        );
        assert_eq!(
            sms[1].name.as_deref(),
            Some("infinyon/jolt@0.1.0,my/filter@1.0.0")
        );
        assert_eq!(
            sms[1].params.lookback,
            Some(Lookback {
                last: 10,
                age: Some(Duration::from_secs(3600))
            })
        );
        assert_eq!(
            sms[1].kind,
            SmartModuleKind::Generic(SmartModuleContextData::None)
        );
        assert!(serde_yaml::from_str::<TransformationConfig>("transforms:\n  - use: x\n").is_err());
    }
}
