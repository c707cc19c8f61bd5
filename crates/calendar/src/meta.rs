//! What an iCalendar component carried that EAS has no slot for (`URL`, `X-` properties,
//! `ATTACH`, a rule EAS cannot express, ...), kept so that it survives a phone's edit and is
//! written back on export.

use serde::{Deserialize, Serialize};

/// A property parameter (`ROLE=CHAIR`), its values unescaped.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Param {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

impl Param {
    pub fn new(name: &str, values: &[&str]) -> Param {
        Param {
            name: name.to_string(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }
}

/// An iCalendar property as it came: its name in upper case, its parameters, and its value as
/// written in the file (escapes and all), so that writing it back gives the same line.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Property {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Param>,
    pub value: String,
}

impl Property {
    pub fn new(name: &str, value: &str) -> Property {
        Property {
            name: name.to_ascii_uppercase(),
            params: Vec::new(),
            value: value.to_string(),
        }
    }

    /// The first value of a parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .and_then(|p| p.values.first())
            .map(String::as_str)
    }
}

/// What a component carried beyond the EAS properties.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct ICalMeta {
    /// Properties EAS has no slot for, in file order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<Property>,
    /// Sub-components other than the first `VALARM` (more alarms, vendor components), as their
    /// unfolded content lines from `BEGIN` to `END`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Vec<Property>>,
}

impl ICalMeta {
    pub fn is_empty(&self) -> bool {
        self.extra.is_empty() && self.components.is_empty()
    }

    /// The extra properties of one name.
    pub fn extra_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Property> + 'a {
        self.extra
            .iter()
            .filter(move |p| p.name.eq_ignore_ascii_case(name))
    }

    /// Whether the component had a rule or dates that add occurrences EAS cannot carry (an
    /// `RRULE` kept as it came, `RDATE`): its occurrences are then not all known to
    /// [`crate::Event`]'s recurrence.
    pub fn has_unexpressed_occurrences(&self) -> bool {
        self.extra
            .iter()
            .any(|p| p.name == "RRULE" || p.name == "RDATE")
    }
}
