//! GAL contact photos for Search (Store=GAL) and ResolveRecipients: which entries get their
//! photo under `MaxSize` and `MaxPictures` (MS-ASCMD 2.2.3.104.2/3, 2.2.3.105.2/3), with the
//! photos read from the directory in one query.
//!
//! In result order, an entry without a photo gets 173, one whose photo is larger than MaxSize
//! 174, one with a photo after MaxPictures photos went out 175, and the others their photo
//! (status 1). A photo that is too large does not count against MaxPictures: it is not
//! returned. On top of what the phone asks, one response carries at most
//! [`PHOTO_BYTES_PER_RESPONSE`] of photos; past it the entries with a photo get 175 too.

use eas_directory::{Directory, DirectoryError, User};
use eas_protocol::picture::{Picture, PictureRequest};

/// The most photo bytes one response carries (before base64): a thousand names to resolve with
/// a photo each would otherwise make a response of a hundred megabytes.
pub const PHOTO_BYTES_PER_RESPONSE: u64 = 4 << 20;

/// What is left of a request's allowance of photos.
#[derive(Debug)]
pub struct PictureBudget {
    max_size: Option<u64>,
    max_pictures: Option<u32>,
    sent_in_query: u32,
    bytes_left: u64,
}

/// Whether one entry's photo goes out.
enum Choice {
    Send,
    Answer(Picture),
}

impl PictureBudget {
    pub fn new(req: PictureRequest) -> PictureBudget {
        PictureBudget {
            max_size: req.max_size.map(u64::from),
            max_pictures: req.max_pictures,
            sent_in_query: 0,
            bytes_left: PHOTO_BYTES_PER_RESPONSE,
        }
    }

    /// Starts the count of MaxPictures again: in ResolveRecipients it counts per name to
    /// resolve (MS-ASCMD 2.2.3.104.2, R3290 and R3291: three names with MaxPictures 3 may get
    /// nine photos). The response's byte allowance goes on.
    pub fn next_query(&mut self) {
        self.sent_in_query = 0;
    }

    /// The answer for a photo the caller already holds (a contact's own picture), under the
    /// same rules as the directory's.
    pub fn own_photo(&mut self, photo: Option<&[u8]>) -> Picture {
        match self.choose(photo.map(|p| p.len() as u64)) {
            Choice::Send => Picture::Data(photo.map(<[u8]>::to_vec).unwrap_or_default()),
            Choice::Answer(p) => p,
        }
    }

    fn choose(&mut self, photo_size: Option<u64>) -> Choice {
        let Some(size) = photo_size else {
            return Choice::Answer(Picture::NoPhoto);
        };
        if self.max_size.is_some_and(|max| size > max) {
            return Choice::Answer(Picture::TooLarge);
        }
        let limit_reached = self.max_pictures.is_some_and(|n| self.sent_in_query >= n);
        if limit_reached || size > self.bytes_left {
            return Choice::Answer(Picture::LimitReached);
        }
        self.sent_in_query += 1;
        self.bytes_left -= size;
        Choice::Send
    }
}

/// The picture answer for each of `users`, in order, using up `budget`.
pub async fn pictures(
    directory: &Directory,
    users: &[&User],
    budget: &mut PictureBudget,
) -> Result<Vec<Picture>, DirectoryError> {
    let choices: Vec<Choice> = users
        .iter()
        .map(|u| budget.choose(u.photo.as_ref().map(|p| p.size)))
        .collect();
    let wanted: Vec<i64> = users
        .iter()
        .zip(&choices)
        .filter(|(_, c)| matches!(c, Choice::Send))
        .map(|(u, _)| u.id)
        .collect();
    let mut photos = directory.photos(&wanted).await?;
    let max_size = budget.max_size;
    Ok(users
        .iter()
        .zip(choices)
        .map(|(u, choice)| match choice {
            Choice::Answer(p) => p,
            Choice::Send => match photos.remove(&u.id) {
                // Replaced by a larger one since the search read the user.
                Some(p) if max_size.is_some_and(|max| p.data.len() as u64 > max) => {
                    Picture::TooLarge
                }
                Some(p) => Picture::Data(p.data),
                // Removed since the search read the user.
                None => Picture::NoPhoto,
            },
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statuses(budget: &mut PictureBudget, sizes: &[Option<u64>]) -> Vec<u16> {
        sizes
            .iter()
            .map(|s| match budget.choose(*s) {
                Choice::Send => 1,
                Choice::Answer(p) => p.status(),
            })
            .collect()
    }

    #[test]
    fn the_first_photos_within_max_size_go_out_until_max_pictures() {
        let mut budget = PictureBudget::new(PictureRequest {
            max_size: Some(1000),
            max_pictures: Some(2),
        });
        let sizes = [
            Some(500),
            None,
            Some(5000),
            Some(1000),
            Some(10),
            Some(20_000),
            None,
        ];
        assert_eq!(
            statuses(&mut budget, &sizes),
            [1, 173, 174, 1, 175, 174, 173]
        );
        // ResolveRecipients: the next name has its own MaxPictures.
        budget.next_query();
        assert_eq!(
            statuses(&mut budget, &[Some(10), Some(10), Some(10)]),
            [1, 1, 175]
        );
    }

    #[test]
    fn without_limits_every_photo_goes_out_up_to_the_response_allowance() {
        let mut budget = PictureBudget::new(PictureRequest::default());
        let big = Some(PHOTO_BYTES_PER_RESPONSE / 2);
        assert_eq!(
            statuses(&mut budget, &[big, big, big, None]),
            [1, 1, 175, 173]
        );
        let mut none = PictureBudget::new(PictureRequest {
            max_size: Some(0),
            max_pictures: Some(0),
        });
        assert_eq!(statuses(&mut none, &[Some(1), None]), [174, 173]);
        let mut zero = PictureBudget::new(PictureRequest {
            max_size: None,
            max_pictures: Some(0),
        });
        assert_eq!(statuses(&mut zero, &[Some(1)]), [175]);
    }
}
