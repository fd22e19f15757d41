//! One path per contract version: which version a component speaks decides its bindings, and
//! every call goes through [`Bindings`], so nothing else in the host knows versions apart.

use wasmtime::component::InstancePre;
use wasmtime::{Engine, Store};

use super::bindings::{v0_1, v0_2};
use super::buffers::{InputBuffers, Returned};
use super::sandbox::SandboxState;

/// A contract version this host implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractVersion {
    /// `wit/plugin.wit`: column buffers as typed lists.
    V0_1,
    /// `wit/0.2/plugin.wit`: column buffers as bytes.
    V0_2,
}

impl ContractVersion {
    pub const ALL: [Self; 2] = [Self::V0_1, Self::V0_2];

    /// The `major.minor` of the WIT package; every patch release of it is accepted.
    pub fn major_minor(self) -> &'static str {
        match self {
            Self::V0_1 => "0.1",
            Self::V0_2 => "0.2",
        }
    }

    /// Where the version's WIT lives in the repository.
    pub fn wit_file(self) -> &'static str {
        match self {
            Self::V0_1 => "wit/plugin.wit",
            Self::V0_2 => "wit/0.2/plugin.wit",
        }
    }
}

/// A component linked and type-checked against its contract version, ready to instantiate.
pub enum BindingsPre {
    V0_1(v0_1::DomainPluginPre<SandboxState>),
    V0_2(v0_2::DomainPluginPre<SandboxState>),
}

impl BindingsPre {
    pub fn new(version: ContractVersion, pre: InstancePre<SandboxState>) -> wasmtime::Result<Self> {
        Ok(match version {
            ContractVersion::V0_1 => Self::V0_1(v0_1::DomainPluginPre::new(pre)?),
            ContractVersion::V0_2 => Self::V0_2(v0_2::DomainPluginPre::new(pre)?),
        })
    }

    pub fn engine(&self) -> &Engine {
        match self {
            Self::V0_1(pre) => pre.engine(),
            Self::V0_2(pre) => pre.engine(),
        }
    }

    pub fn instantiate(&self, store: &mut Store<SandboxState>) -> wasmtime::Result<Bindings> {
        Ok(match self {
            Self::V0_1(pre) => Bindings::V0_1(pre.instantiate(store)?),
            Self::V0_2(pre) => Bindings::V0_2(pre.instantiate(store)?),
        })
    }
}

/// An instance's exports, for the version it speaks.
pub enum Bindings {
    V0_1(v0_1::DomainPlugin),
    V0_2(v0_2::DomainPlugin),
}

impl Bindings {
    /// The manifest; its types are the same in every version.
    pub fn describe(
        &self,
        store: &mut Store<SandboxState>,
    ) -> wasmtime::Result<v0_1::types::Manifest> {
        match self {
            Self::V0_1(plugin) => plugin.rechost_plugin_plugin().call_describe(store),
            Self::V0_2(plugin) => plugin.rechost_plugin_plugin().call_describe(store),
        }
    }

    /// One transform call: `Err` is a trap or a timeout, `Ok(Err)` the plugin's own message.
    pub fn transform(
        &self,
        store: &mut Store<SandboxState>,
        options: &[(&str, &str)],
        input: &InputBuffers<'_>,
    ) -> wasmtime::Result<Result<Returned, String>> {
        let rows = input.rows;
        Ok(match self {
            Self::V0_1(plugin) => {
                let columns = input.columns_v0_1();
                let batch = v0_1::types::BatchParam {
                    rows,
                    columns: &columns,
                };
                (plugin.rechost_plugin_plugin())
                    .call_transform(store, options, batch)?
                    .map(Returned::from)
            }
            Self::V0_2(plugin) => {
                let columns = input.columns_v0_2();
                let batch = v0_2::columns::BatchParam {
                    rows,
                    columns: &columns,
                };
                (plugin.rechost_plugin_plugin())
                    .call_transform(store, options, batch)?
                    .map(Returned::from)
            }
        })
    }
}
