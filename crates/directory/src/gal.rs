//! A user's global address list entry beyond name and address: the GAL fields (title, company,
//! office, phones, first and last name) and the photo that Search (Store=GAL) and
//! ResolveRecipients hand out (MS-ASCMD 2.2.3.135, Picture).

use std::collections::HashMap;

use crate::directory::Directory;
use crate::error::{DirectoryError, Entity};
use crate::model::{GalFields, GalFieldsUpdate, Photo, PhotoInfo, User};

/// Largest photo kept, in bytes: the most a phone may ask for with MaxSize (MS-ASCMD
/// 2.2.3.105.2 and 2.2.3.105.3: 100 KB, 102400 bytes), so that every stored photo can be sent.
pub const MAX_PHOTO_BYTES: usize = 102_400;

/// Users whose photos one query reads (its bound parameters; both backends take far more).
pub const PHOTO_IDS_PER_QUERY: usize = 500;

impl Directory {
    /// Replaces the GAL fields of the user with this primary address (a field left `None`
    /// is cleared).
    pub async fn set_gal_fields(
        &self,
        address: &str,
        fields: GalFields,
    ) -> Result<User, DirectoryError> {
        let user = self.primary_user(address).await?;
        let fields = checked(fields)?;
        self.store.update_gal(user.id, &fields).await?;
        tracing::info!(user = %user.address, "gal fields set");
        self.user_by_id(user.id, &user.address).await
    }

    /// Changes some GAL fields of the user with this primary address; the others keep their
    /// values. Two updates at once each read the fields before either wrote: the last one wins.
    pub async fn update_gal_fields(
        &self,
        address: &str,
        update: GalFieldsUpdate,
    ) -> Result<User, DirectoryError> {
        let user = self.primary_user(address).await?;
        let fields = checked(update.apply(user.gal))?;
        self.store.update_gal(user.id, &fields).await?;
        tracing::info!(user = %user.address, "gal fields updated");
        self.user_by_id(user.id, &user.address).await
    }

    /// Sets the photo of the user with this primary address: a JPEG or PNG image (told by its
    /// bytes) of at most [`MAX_PHOTO_BYTES`].
    pub async fn set_photo(
        &self,
        address: &str,
        data: Vec<u8>,
    ) -> Result<PhotoInfo, DirectoryError> {
        if data.len() > MAX_PHOTO_BYTES {
            return Err(DirectoryError::PhotoTooLarge {
                size: data.len(),
                max: MAX_PHOTO_BYTES,
            });
        }
        let content_type = image_type(&data).ok_or(DirectoryError::NotAnImage)?;
        let user = self.primary_user(address).await?;
        let photo = Photo {
            content_type: content_type.to_owned(),
            data,
        };
        if !self.store.put_photo(user.id, &photo).await? {
            return Err(DirectoryError::not_found(Entity::User, user.address));
        }
        let info = PhotoInfo {
            content_type: photo.content_type,
            size: photo.data.len() as u64,
        };
        tracing::info!(user = %user.address, content_type = %info.content_type, size = info.size, "photo set");
        Ok(info)
    }

    /// The photo of the user with this primary address or alias; `None` when there is none.
    pub async fn photo(&self, address_or_alias: &str) -> Result<Option<Photo>, DirectoryError> {
        let user = self.get_user(address_or_alias).await?;
        Ok(self
            .store
            .photos(&[user.id])
            .await?
            .into_iter()
            .next()
            .map(|(_, p)| p))
    }

    /// Removes the photo of the user with this primary address; false when there was none.
    pub async fn delete_photo(&self, address: &str) -> Result<bool, DirectoryError> {
        let user = self.primary_user(address).await?;
        let deleted = self.store.delete_photo(user.id).await?;
        tracing::info!(user = %user.address, deleted, "photo removed");
        Ok(deleted)
    }

    /// The photos of these users (by [`User::id`]), in one query per [`PHOTO_IDS_PER_QUERY`]
    /// users; users without one are left out.
    pub async fn photos(&self, user_ids: &[i64]) -> Result<HashMap<i64, Photo>, DirectoryError> {
        let mut photos = HashMap::new();
        // In slices, so that no query binds more parameters than a backend takes.
        for ids in user_ids.chunks(PHOTO_IDS_PER_QUERY) {
            photos.extend(self.store.photos(ids).await?);
        }
        Ok(photos)
    }
}

/// The fields trimmed, blank ones cleared, and each checked: at most [`GalFields::MAX_CHARS`]
/// characters, no control characters.
fn checked(mut fields: GalFields) -> Result<GalFields, DirectoryError> {
    for (field, value) in fields.named_mut() {
        let Some(text) = value.take() else {
            continue;
        };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if text.chars().count() > GalFields::MAX_CHARS {
            return Err(DirectoryError::InvalidField {
                field,
                reason: "longer than 256 characters",
            });
        }
        if text.chars().any(char::is_control) {
            return Err(DirectoryError::InvalidField {
                field,
                reason: "contains control characters",
            });
        }
        *value = Some(text.to_owned());
    }
    Ok(fields)
}

/// `image/jpeg` or `image/png` when the bytes start like one (JPEG: the SOI marker followed by
/// another marker, ITU T.81 B.1.1.3; PNG: its eight-byte signature, RFC 2083 3.1).
pub fn image_type(data: &[u8]) -> Option<&'static str> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if data.starts_with(PNG) && data.len() > PNG.len() {
        Some("image/png")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_and_png_are_told_by_their_first_bytes() {
        assert_eq!(
            image_type(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some("image/jpeg")
        );
        assert_eq!(
            image_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some("image/png")
        );
        for other in [
            &b"GIF89a"[..],
            b"\x89PNG\r\n\x1a\n",
            b"",
            b"\xFF\xD8",
            b"<svg/>",
        ] {
            assert_eq!(image_type(other), None, "{other:?}");
        }
    }

    #[test]
    fn fields_are_trimmed_blank_ones_cleared_and_bad_ones_refused() {
        let fields = checked(GalFields {
            title: Some("  CFO ".into()),
            office: Some("   ".into()),
            ..GalFields::default()
        })
        .expect("valid");
        assert_eq!(fields.title.as_deref(), Some("CFO"));
        assert_eq!(fields.office, None);
        let long = GalFields {
            company: Some("x".repeat(257)),
            ..GalFields::default()
        };
        assert!(matches!(
            checked(long),
            Err(DirectoryError::InvalidField {
                field: "company",
                ..
            })
        ));
        let control = GalFields {
            phone: Some("+1 555\n0100".into()),
            ..GalFields::default()
        };
        assert!(matches!(
            checked(control),
            Err(DirectoryError::InvalidField { field: "phone", .. })
        ));
    }
}
