//! Argon2id hashing and verification, run on the blocking pool because each call costs
//! milliseconds of CPU.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::DirectoryError;
use crate::model::Password;
use crate::options::Argon2Cost;

/// Length limit that keeps a hostile client from making us hash megabytes.
const MAX_PASSWORD_BYTES: usize = 1024;

pub(crate) fn check_acceptable(password: &Password) -> Result<(), DirectoryError> {
    if password.expose().is_empty() {
        return Err(DirectoryError::InvalidPassword("must not be empty"));
    }
    if password.expose().len() > MAX_PASSWORD_BYTES {
        return Err(DirectoryError::InvalidPassword("longer than 1024 bytes"));
    }
    Ok(())
}

/// Whether a presented password is longer than any password that can be set, so that it cannot
/// match and need not be hashed.
pub(crate) fn exceeds_limit(password: &Password) -> bool {
    password.expose().len() > MAX_PASSWORD_BYTES
}

fn hasher(cost: Argon2Cost) -> Result<Argon2<'static>, DirectoryError> {
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
        .map_err(|e| DirectoryError::Hashing(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes `password` into a PHC string (`$argon2id$v=19$m=...`) with a fresh random salt.
pub(crate) async fn hash(password: Password, cost: Argon2Cost) -> Result<String, DirectoryError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher(cost)?
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| DirectoryError::Hashing(e.to_string()))
    })
    .await
    .map_err(|e| DirectoryError::Hashing(e.to_string()))?
}

/// Whether `password` matches the stored PHC string. A malformed stored hash is an error, not a
/// mismatch, so that it shows up in the log.
pub(crate) async fn verify(password: Password, phc: String) -> Result<bool, DirectoryError> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&phc).map_err(|e| DirectoryError::Hashing(e.to_string()))?;
        // The cost parameters come from the stored hash; the default instance only supplies
        // the algorithm table.
        match Argon2::default().verify_password(password.expose().as_bytes(), &parsed) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::Password) => Ok(false),
            Err(e) => Err(DirectoryError::Hashing(e.to_string())),
        }
    })
    .await
    .map_err(|e| DirectoryError::Hashing(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_own_password_and_no_other() {
        let cost = Argon2Cost::INSECURE_FOR_TESTS;
        let phc = hash("correct horse".into(), cost).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{phc}");
        assert!(verify("correct horse".into(), phc.clone()).await.unwrap());
        assert!(!verify("correct horsE".into(), phc).await.unwrap());
    }

    #[tokio::test]
    async fn two_hashes_of_one_password_differ_by_salt() {
        let cost = Argon2Cost::INSECURE_FOR_TESTS;
        let a = hash("pw".into(), cost).await.unwrap();
        let b = hash("pw".into(), cost).await.unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn empty_and_huge_passwords_are_refused() {
        assert!(check_acceptable(&"".into()).is_err());
        assert!(check_acceptable(&"x".repeat(2000).into()).is_err());
        assert!(check_acceptable(&"x".into()).is_ok());
    }
}
