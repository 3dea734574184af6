//! SmartModule invocations on produce and stream fetch. The mock stores SmartModules
//! (`smartmodule create`) but does not run them: it answers as a real SPU does when a
//! module is missing, and refuses the others with a chain-init error saying so.

use flv_core::error_code::ErrorCode;
use flv_core::spu::{SmartModuleInvocation, SmartModuleInvocationWasm};

use crate::cluster::MockCluster;

/// What the mock says of a SmartModule it has but cannot run.
pub(crate) const NOT_RUN: &str = "flv-mock-cluster does not run SmartModules";

impl MockCluster {
    /// The error a request with `invocations` gets, if any: `SmartModuleNotFound` for a
    /// module named but not stored (the real SPU's answer, from its `resolve_invocation`),
    /// else `SmartModuleChainInitError` (the mock has no engine).
    pub(crate) fn smartmodule_error(
        &self,
        invocations: &[SmartModuleInvocation],
    ) -> Option<ErrorCode> {
        if invocations.is_empty() {
            return None;
        }
        for sm in invocations {
            if let SmartModuleInvocationWasm::Predefined(name) = &sm.wasm
                && !self.stores.smartmodule.items.contains_key(name)
            {
                return Some(ErrorCode::SmartModuleNotFound { name: name.clone() });
            }
        }
        Some(ErrorCode::SmartModuleChainInitError(NOT_RUN.into()))
    }
}
