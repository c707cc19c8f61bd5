//! Status codes: the common ones of MS-ASCMD 2.2.2 and the per-command ones that differ.

/// Declares a status enum with explicit numeric values, `code()` and `from_code()`.
macro_rules! status_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum $name {
            $($(#[$vmeta])* $variant = $value,)+
        }

        impl $name {
            /// Every value, in numeric order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The numeric value sent in the `Status` element.
            pub const fn code(self) -> u8 {
                self as u8
            }

            /// The status for a numeric value, if it is defined.
            pub fn from_code(code: u8) -> Option<$name> {
                Self::ALL.iter().copied().find(|s| s.code() == code)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.code())
            }
        }
    };
}

status_enum! {
    /// MS-ASCMD 2.2.2: status values common to all commands (protocol 14.0 and later).
    CommonStatus {
        InvalidContent = 101,
        InvalidWbxml = 102,
        InvalidXml = 103,
        InvalidDateTime = 104,
        InvalidCombinationOfIds = 105,
        InvalidIds = 106,
        InvalidMime = 107,
        DeviceIdMissingOrInvalid = 108,
        DeviceTypeMissingOrInvalid = 109,
        ServerError = 110,
        ServerErrorRetryLater = 111,
        ActiveDirectoryAccessDenied = 112,
        MailboxQuotaExceeded = 113,
        MailboxServerOffline = 114,
        SendQuotaExceeded = 115,
        MessageRecipientUnresolved = 116,
        MessageReplyNotAllowed = 117,
        MessagePreviouslySent = 118,
        MessageHasNoRecipient = 119,
        MailSubmissionFailed = 120,
        MessageReplyFailed = 121,
        AttachmentIsTooLarge = 122,
        UserHasNoMailbox = 123,
        UserCannotBeAnonymous = 124,
        UserPrincipalCouldNotBeFound = 125,
        UserDisabledForSync = 126,
        UserOnNewMailboxCannotSync = 127,
        UserOnLegacyMailboxCannotSync = 128,
        DeviceIsBlockedForThisUser = 129,
        AccessDenied = 130,
        AccountDisabled = 131,
        SyncStateNotFound = 132,
        SyncStateLocked = 133,
        SyncStateCorrupt = 134,
        SyncStateAlreadyExists = 135,
        SyncStateVersionInvalid = 136,
        CommandNotSupported = 137,
        VersionNotSupported = 138,
        DeviceNotFullyProvisionable = 139,
        RemoteWipeRequested = 140,
        LegacyDeviceOnStrictPolicy = 141,
        DeviceNotProvisioned = 142,
        PolicyRefresh = 143,
        InvalidPolicyKey = 144,
        ExternallyManagedDevicesNotAllowed = 145,
        NoRecurrenceInCalendar = 146,
        UnexpectedItemClass = 147,
        RemoteServerHasNoSsl = 148,
        InvalidStoredRequest = 149,
        ItemNotFound = 150,
        TooManyFolders = 151,
        NoFoldersFound = 152,
        ItemsLostAfterMove = 153,
        FailureInMoveOperation = 154,
        MoveCommandDisallowedForNonPersistentMoveAction = 155,
        MoveCommandInvalidDestinationFolder = 156,
        AvailabilityTooManyRecipients = 160,
        AvailabilityDlLimitReached = 161,
        AvailabilityTransientFailure = 162,
        AvailabilityFailure = 163,
        BodyPartPreferenceTypeNotSupported = 164,
        DeviceInformationRequired = 165,
        InvalidAccountId = 166,
        AccountSendDisabled = 167,
        IrmFeatureDisabled = 168,
        IrmTransientError = 169,
        IrmPermanentError = 170,
        IrmInvalidTemplateId = 171,
        IrmOperationNotPermitted = 172,
        NoPicture = 173,
        PictureTooLarge = 174,
        PictureLimitReached = 175,
        BodyPartConversationTooLarge = 176,
        MaximumDevicesReached = 177,
        InvalidMimeBodyCombination = 178,
        InvalidSmartForwardParameters = 179,
        InvalidRecipients = 183,
        OneOrMoreExceptionsFailed = 184,
    }
}

impl CommonStatus {
    /// MS-ASCMD 2.2.2: statuses that tell the client to (re)provision; AOSP provisions on each.
    pub const fn requires_provisioning(self) -> bool {
        matches!(
            self,
            CommonStatus::RemoteWipeRequested
                | CommonStatus::DeviceNotProvisioned
                | CommonStatus::PolicyRefresh
                | CommonStatus::InvalidPolicyKey
        )
    }
}

status_enum! {
    /// MS-ASPROV 2.2.2.54.2: `Provision/Status`.
    ProvisionStatus {
        Success = 1,
        ProtocolError = 2,
        ServerError = 3,
    }
}

status_enum! {
    /// MS-ASPROV 2.2.2.54.1: `Policy/Status` in a response.
    PolicyStatus {
        Success = 1,
        NoPolicyForClient = 2,
        UnknownPolicyType = 3,
        PolicyDataCorrupt = 4,
        WrongPolicyKey = 5,
    }
}

status_enum! {
    /// MS-ASPROV 2.2.2.54.1: `Policy/Status` in a client's acknowledgement.
    PolicyAckStatus {
        Success = 1,
        /// Some policies were not applied (at least the PIN was enabled); AOSP sends this.
        PartialSuccess = 2,
        NotApplied = 3,
        ThirdPartyProvisioned = 4,
    }
}

status_enum! {
    /// MS-ASPROV 2.2.2.54.3: `RemoteWipe/Status` and `AccountOnlyRemoteWipe/Status` from the client.
    RemoteWipeStatus {
        Success = 1,
        Failure = 2,
    }
}

status_enum! {
    /// MS-ASCMD 2.2.3.177.5: `FolderSync/Status`.
    FolderSyncStatus {
        Success = 1,
        ServerError = 6,
        /// The client must start again from sync key 0; AOSP then drops all local data.
        InvalidSyncKey = 9,
        BadRequest = 10,
        UnknownError = 11,
        CodeUnknown = 12,
    }
}

status_enum! {
    /// MS-ASCMD 2.2.3.177.15: `Settings/Status` and the per-setting statuses.
    SettingsStatus {
        Success = 1,
        ProtocolError = 2,
        AccessDenied = 3,
        ServerUnavailable = 4,
        InvalidArguments = 5,
        ConflictingArguments = 6,
        DeniedByPolicy = 7,
    }
}

status_enum! {
    /// MS-ASCMD 2.2.3.177.11: `Ping/Status`. PHONE_FLOWS.md: AOSP pings again at once on 3, 4
    /// and 8, so a transient server error is better answered with HTTP 503.
    PingStatus {
        /// The heartbeat interval expired with no changes.
        Expired = 1,
        ChangesFound = 2,
        MissingParameters = 3,
        SyntaxError = 4,
        /// The heartbeat is outside the allowed range; the response carries the allowed value.
        InvalidHeartbeat = 5,
        /// Too many folders; the response carries `MaxFolders`.
        TooManyFolders = 6,
        FolderSyncRequired = 7,
        ServerError = 8,
    }
}

status_enum! {
    /// MS-ASCMD 2.2.3.177.3, 2.2.3.177.4, 2.2.3.177.6: `Status` of FolderCreate, FolderDelete
    /// and FolderUpdate, which share their values.
    FolderStatus {
        Success = 1,
        AlreadyExists = 2,
        SpecialFolder = 3,
        NotFound = 4,
        ParentNotFound = 5,
        ServerError = 6,
        InvalidSyncKey = 9,
        BadRequest = 10,
        UnknownError = 11,
        CodeUnknown = 12,
    }
}

status_enum! {
    /// MS-ASCMD 2.2.3.177.17: `Status` of Sync, for the whole request, a collection or an item.
    /// PHONE_FLOWS.md: AOSP wipes the folder on 3, runs FolderSync on 8 and 12, backs off on 5
    /// and 16.
    SyncStatus {
        Success = 1,
        /// Invalid or mismatched sync key: the client starts again from key 0.
        InvalidSyncKey = 3,
        ProtocolError = 4,
        ServerError = 5,
        /// The client sent a malformed or invalid item.
        ConversionError = 6,
        /// The server's version of the item won the conflict.
        Conflict = 7,
        ObjectNotFound = 8,
        /// The mailbox may be full.
        CannotComplete = 9,
        FolderHierarchyChanged = 12,
        /// An empty or partial request arrived with no cached request to complete it.
        IncompleteRequest = 13,
        /// Wait or HeartbeatInterval out of range; the response carries `Limit`.
        InvalidWaitOrHeartbeat = 14,
        /// Too many collections in the request.
        InvalidRequest = 15,
        Retry = 16,
    }
}

status_enum! {
    /// MS-ASCMD 2.2.3.177.7: `Status` of GetItemEstimate.
    GetItemEstimateStatus {
        Success = 1,
        InvalidCollection = 2,
        /// The collection's sync state is not primed: the client must Sync with key 0 first.
        SyncStateNotPrimed = 3,
        InvalidSyncKey = 4,
        /// A FilterType the collection's class does not take, such as 1 to 3 for a calendar
        /// (MS-ASCMD 2.2.3.68.1, R3009 to R3011).
        InvalidFilterType = 110,
    }
}

status_enum! {
    /// MS-ASCMD 2.2.3.177.10: `Status` of MoveItems. 3 is success. PHONE_FLOWS.md: AOSP
    /// retries on 7 and rolls the move back on 1, 2 and 5.
    MoveItemsStatus {
        InvalidSource = 1,
        InvalidDestination = 2,
        Success = 3,
        SameSourceAndDestination = 4,
        /// The item cannot be moved (to more than one place, or it is locked for moving).
        CannotMove = 5,
        Locked = 7,
    }
}

status_enum! {
    /// MS-ASCMD 2.2.3.177.8: `Status` of ItemOperations and of each of its operations.
    ItemOperationsStatus {
        Success = 1,
        ProtocolError = 2,
        ServerError = 3,
        DocumentLibraryBadUri = 4,
        DocumentLibraryAccessDenied = 5,
        DocumentLibraryNotFound = 6,
        DocumentLibraryConnectionFailed = 7,
        InvalidByteRange = 8,
        UnknownStore = 9,
        EmptyFile = 10,
        DataTooLarge = 11,
        IoFailure = 12,
        ConversionFailed = 14,
        InvalidAttachment = 15,
        AccessDenied = 16,
        PartialSuccess = 17,
        CredentialsRequired = 18,
        /// Options and MoveAlways both missing from a conversation Move.
        MissingMoveOptions = 155,
        /// Action not supported (a conversation Move whose destination is not a mail folder).
        ActionNotSupported = 156,
    }
}

status_enum! {
    /// MS-ASCMD 2.2.3.177.13: `Status` of Search and of its `Store`.
    SearchStatus {
        Success = 1,
        InvalidRequest = 2,
        ServerError = 3,
        BadLink = 4,
        AccessDenied = 5,
        NotFound = 6,
        ConnectionFailed = 7,
        TooComplex = 8,
        TimedOut = 10,
        FolderSyncRequired = 11,
        EndOfRetrievableRange = 12,
        AccessBlocked = 13,
        CredentialsRequired = 14,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_common_status_round_trips_through_its_code() {
        for s in CommonStatus::ALL {
            assert_eq!(CommonStatus::from_code(s.code()), Some(*s));
        }
        assert!(CommonStatus::ALL
            .windows(2)
            .all(|w| w[0].code() < w[1].code()));
    }

    #[test]
    fn common_status_codes_span_101_to_184() {
        assert_eq!(CommonStatus::InvalidContent.code(), 101);
        assert_eq!(CommonStatus::DeviceNotProvisioned.code(), 142);
        assert_eq!(CommonStatus::MaximumDevicesReached.code(), 177);
        assert_eq!(CommonStatus::from_code(157), None);
        assert_eq!(CommonStatus::from_code(100), None);
    }

    #[test]
    fn provisioning_statuses_are_140_142_143_and_144() {
        let codes: Vec<u8> = CommonStatus::ALL
            .iter()
            .filter(|s| s.requires_provisioning())
            .map(|s| s.code())
            .collect();
        assert_eq!(codes, [140, 142, 143, 144]);
    }

    #[test]
    fn per_command_statuses_have_the_spec_values() {
        assert_eq!(FolderSyncStatus::InvalidSyncKey.code(), 9);
        assert_eq!(FolderSyncStatus::from_code(7), None);
        assert_eq!(SettingsStatus::DeniedByPolicy.code(), 7);
        assert_eq!(
            ProvisionStatus::from_code(3),
            Some(ProvisionStatus::ServerError)
        );
        assert_eq!(PolicyStatus::WrongPolicyKey.code(), 5);
        assert_eq!(
            PolicyAckStatus::from_code(2),
            Some(PolicyAckStatus::PartialSuccess)
        );
        assert_eq!(RemoteWipeStatus::Failure.to_string(), "2");
        assert_eq!(PingStatus::FolderSyncRequired.code(), 7);
        assert_eq!(
            FolderStatus::from_code(5),
            Some(FolderStatus::ParentNotFound)
        );
        assert_eq!(FolderStatus::from_code(7), None);
    }

    #[test]
    fn the_statuses_of_the_item_commands_have_the_spec_values() {
        let codes = |all: &[u8]| all.to_vec();
        let sync: Vec<u8> = SyncStatus::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(sync, codes(&[1, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16]));
        let est: Vec<u8> = GetItemEstimateStatus::ALL
            .iter()
            .map(|s| s.code())
            .collect();
        assert_eq!(est, codes(&[1, 2, 3, 4, 110]));
        let mv: Vec<u8> = MoveItemsStatus::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(mv, codes(&[1, 2, 3, 4, 5, 7]));
        assert_eq!(
            MoveItemsStatus::from_code(3),
            Some(MoveItemsStatus::Success)
        );
        let io: Vec<u8> = ItemOperationsStatus::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(
            io,
            codes(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 155, 156])
        );
        let search: Vec<u8> = SearchStatus::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(search, codes(&[1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14]));
    }
}
