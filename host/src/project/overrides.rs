//! Command-line flags over the project file.

use super::{WarehouseKind, WindowSpec};

/// Command-line flags, which win over the file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub warehouse: Option<WarehouseKind>,
    pub connection: Option<String>,
    /// `--pushdown` can only turn pushdown on.
    pub pushdown: bool,
    pub udf_schema: Option<String>,
    pub out: Option<String>,
    pub s3_endpoint: Option<String>,
    pub storage_integration: Option<String>,
    /// The window and the flag that set it.
    pub window: Option<(WindowSpec, &'static str)>,
}
