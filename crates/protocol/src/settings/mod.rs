//! The Settings command (MS-ASCMD 2.2.1.18): device information, user information, OOF, device password.

mod device_information;
mod request;
mod response;

pub use device_information::DeviceInformation;
pub use request::{OofAudience, OofMessage, OofRequest, OofSet, SettingsRequest};
pub use response::{OofResponse, OofState, SettingsResponse, UserInformation};
