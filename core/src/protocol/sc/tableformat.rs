//! Table formats (label `"TableFormat"`): how the CLI renders JSON records as tables.
//!
//! Upstream: `fluvio-controlplane-metadata` `tableformat/{spec,status}.rs`.

use super::Spec;

crate::wire_struct! {
    /// A table format.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct TableFormatSpec {
        /// Name.
        pub name: String,
        /// Record format.
        pub input_format: Option<DataFormat>,
        /// Column definitions.
        pub columns: Option<Vec<TableFormatColumnConfig>>,
        /// SmartModule applied before rendering.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub smartmodule: Option<String>,
    }
}

impl Spec for TableFormatSpec {
    const LABEL: &'static str = "TableFormat";
    type Status = TableFormatStatus;
}

crate::wire_enum! {
    /// Record format of a table.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum DataFormat: u8 {
        /// JSON records.
        #[default]
        #[serde(rename = "JSON")]
        Json = 0,
    }
}

crate::wire_struct! {
    /// One column of a table format.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct TableFormatColumnConfig {
        /// Header text.
        pub header_label: Option<String>,
        /// Width.
        pub width: Option<String>,
        /// Alignment.
        pub alignment: Option<TableFormatAlignment>,
        /// JSON key path of the value.
        pub key_path: String,
        /// Value format.
        pub format: Option<String>,
        /// Show the column.
        pub display: Option<bool>,
        /// Part of the primary key.
        pub primary_key: Option<bool>,
        /// Header background color.
        pub header_bg_color: Option<Color>,
        /// Header text color.
        pub header_text_color: Option<Color>,
    }
}

crate::wire_enum! {
    /// Column alignment.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "UPPERCASE")]
    pub enum TableFormatAlignment: u8 {
        /// Left.
        Left = 0,
        /// Right.
        Right = 1,
        /// Center (default).
        #[default]
        Center = 2,
    }
}

crate::wire_enum! {
    /// Header color.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "UPPERCASE")]
    pub enum Color: u8 {
        /// Blue (default).
        #[default]
        Blue = 0,
        /// Yellow.
        Yellow = 1,
        /// Green.
        Green = 2,
    }
}

crate::wire_struct! {
    /// A table format's status.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct TableFormatStatus {
        /// State.
        pub resolution: TableFormatStatusResolution,
        /// Why, when invalid or failed.
        pub reason: Option<String>,
    }
}

crate::wire_enum! {
    /// Table format state.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum TableFormatStatusResolution: u8 {
        /// Just created.
        #[default]
        Init = 0,
        /// Invalid.
        Invalid = 1,
        /// Active.
        Running = 2,
        /// Pending.
        Pending = 3,
        /// Failed.
        Failed = 4,
    }
}
