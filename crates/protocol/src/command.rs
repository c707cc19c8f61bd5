//! The ActiveSync commands of MS-ASCMD, by name and by the base64 query's command code.

use std::fmt;

/// An ActiveSync command. A name this crate does not know is [`Command::Unknown`], not an error.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    Autodiscover,
    Find,
    FolderCreate,
    FolderDelete,
    FolderSync,
    FolderUpdate,
    GetAttachment,
    GetHierarchy,
    GetItemEstimate,
    ItemOperations,
    MeetingResponse,
    MoveItems,
    Ping,
    Provision,
    ResolveRecipients,
    Search,
    SendMail,
    Settings,
    SmartForward,
    SmartReply,
    Sync,
    ValidateCert,
    /// A command name (plain form) or code (base64 form, as decimal text) that is not known.
    Unknown(String),
}

/// Every known command, in the order of MS-ASCMD 2.2.1.
pub const ALL: [Command; 22] = [
    Command::Autodiscover,
    Command::Find,
    Command::FolderCreate,
    Command::FolderDelete,
    Command::FolderSync,
    Command::FolderUpdate,
    Command::GetAttachment,
    Command::GetHierarchy,
    Command::GetItemEstimate,
    Command::ItemOperations,
    Command::MeetingResponse,
    Command::MoveItems,
    Command::Ping,
    Command::Provision,
    Command::ResolveRecipients,
    Command::Search,
    Command::SendMail,
    Command::Settings,
    Command::SmartForward,
    Command::SmartReply,
    Command::Sync,
    Command::ValidateCert,
];

impl Command {
    /// The command from its `Cmd=` name; matching ignores ASCII case.
    pub fn from_name(name: &str) -> Command {
        ALL.iter()
            .find(|c| c.name().eq_ignore_ascii_case(name))
            .cloned()
            .unwrap_or_else(|| Command::Unknown(name.to_string()))
    }

    /// The command's name as written in `Cmd=` and in `MS-ASProtocolCommands`.
    pub fn name(&self) -> &str {
        match self {
            Command::Unknown(name) => name,
            known => known.label(),
        }
    }

    /// The name of a known command, `Unknown` for any other: a value from a fixed set, for
    /// counting requests by command (metrics) whatever names clients send.
    pub fn label(&self) -> &'static str {
        match self {
            Command::Autodiscover => "Autodiscover",
            Command::Find => "Find",
            Command::FolderCreate => "FolderCreate",
            Command::FolderDelete => "FolderDelete",
            Command::FolderSync => "FolderSync",
            Command::FolderUpdate => "FolderUpdate",
            Command::GetAttachment => "GetAttachment",
            Command::GetHierarchy => "GetHierarchy",
            Command::GetItemEstimate => "GetItemEstimate",
            Command::ItemOperations => "ItemOperations",
            Command::MeetingResponse => "MeetingResponse",
            Command::MoveItems => "MoveItems",
            Command::Ping => "Ping",
            Command::Provision => "Provision",
            Command::ResolveRecipients => "ResolveRecipients",
            Command::Search => "Search",
            Command::SendMail => "SendMail",
            Command::Settings => "Settings",
            Command::SmartForward => "SmartForward",
            Command::SmartReply => "SmartReply",
            Command::Sync => "Sync",
            Command::ValidateCert => "ValidateCert",
            Command::Unknown(_) => "Unknown",
        }
    }

    /// The command from the base64 query's command code byte.
    // MS-ASHTTP 2.2.1.1.1.1.2: the command code table (5 is the legacy GetHierarchy code).
    pub fn from_code(code: u8) -> Command {
        match code {
            0 => Command::Sync,
            1 => Command::SendMail,
            2 => Command::SmartForward,
            3 => Command::SmartReply,
            4 => Command::GetAttachment,
            5 => Command::GetHierarchy,
            9 => Command::FolderSync,
            10 => Command::FolderCreate,
            11 => Command::FolderDelete,
            12 => Command::FolderUpdate,
            13 => Command::MoveItems,
            14 => Command::GetItemEstimate,
            15 => Command::MeetingResponse,
            16 => Command::Search,
            17 => Command::Settings,
            18 => Command::Ping,
            19 => Command::ItemOperations,
            20 => Command::Provision,
            21 => Command::ResolveRecipients,
            22 => Command::ValidateCert,
            23 => Command::Find,
            other => Command::Unknown(other.to_string()),
        }
    }

    /// The base64 query's command code; `None` for Autodiscover (it has no code) and unknown commands.
    pub fn code(&self) -> Option<u8> {
        Some(match self {
            Command::Sync => 0,
            Command::SendMail => 1,
            Command::SmartForward => 2,
            Command::SmartReply => 3,
            Command::GetAttachment => 4,
            Command::GetHierarchy => 5,
            Command::FolderSync => 9,
            Command::FolderCreate => 10,
            Command::FolderDelete => 11,
            Command::FolderUpdate => 12,
            Command::MoveItems => 13,
            Command::GetItemEstimate => 14,
            Command::MeetingResponse => 15,
            Command::Search => 16,
            Command::Settings => 17,
            Command::Ping => 18,
            Command::ItemOperations => 19,
            Command::Provision => 20,
            Command::ResolveRecipients => 21,
            Command::ValidateCert => 22,
            Command::Find => 23,
            Command::Autodiscover | Command::Unknown(_) => return None,
        })
    }

    /// Whether this is a known command.
    pub fn is_known(&self) -> bool {
        !matches!(self, Command::Unknown(_))
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_command_round_trips_through_its_name() {
        for c in ALL {
            assert_eq!(Command::from_name(c.name()), c);
        }
    }

    #[test]
    fn every_command_with_a_code_round_trips_through_it() {
        for c in ALL {
            if let Some(code) = c.code() {
                assert_eq!(Command::from_code(code), c);
            }
        }
        assert_eq!(ALL.iter().filter(|c| c.code().is_none()).count(), 1);
    }

    #[test]
    fn names_match_without_regard_to_case() {
        assert_eq!(Command::from_name("foldersync"), Command::FolderSync);
        assert_eq!(Command::from_name("PING"), Command::Ping);
    }

    #[test]
    fn an_unknown_name_is_a_variant_that_keeps_the_name() {
        let c = Command::from_name("Frobnicate");
        assert_eq!(c, Command::Unknown("Frobnicate".into()));
        assert!(!c.is_known());
        assert_eq!(c.to_string(), "Frobnicate");
        // Counted under one label, whatever the client sent.
        assert_eq!(c.label(), "Unknown");
        assert_eq!(Command::from_code(200).label(), "Unknown");
    }

    #[test]
    fn a_known_commands_label_is_its_name() {
        for c in ALL {
            assert_eq!(c.label(), c.name());
        }
    }

    #[test]
    fn an_unknown_code_is_a_variant_that_keeps_the_number() {
        assert_eq!(Command::from_code(200), Command::Unknown("200".into()));
        assert_eq!(Command::from_code(7), Command::Unknown("7".into()));
        assert_eq!(Command::Unknown("x".into()).code(), None);
    }

    #[test]
    fn spec_codes_match_the_table() {
        assert_eq!(Command::from_code(0), Command::Sync);
        assert_eq!(Command::from_code(9), Command::FolderSync);
        assert_eq!(Command::from_code(17), Command::Settings);
        assert_eq!(Command::from_code(20), Command::Provision);
    }
}
