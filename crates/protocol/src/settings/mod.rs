//! The Settings command (MS-ASCMD 2.2.1.18): device information, user information, OOF, device password.

mod device_information;

pub use device_information::DeviceInformation;
