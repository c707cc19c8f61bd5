//! Out-of-office settings per user (MS-ASCMD 2.2.3.119 Oof), for the Settings command.

use crate::directory::Directory;
use crate::error::{DirectoryError, Entity};
use crate::model::OutOfOffice;

impl Directory {
    /// The user's out-of-office settings; a user who never set any has them disabled with no
    /// messages.
    pub async fn out_of_office(&self, user_id: i64) -> Result<OutOfOffice, DirectoryError> {
        Ok(self.store.out_of_office(user_id).await?.unwrap_or_default())
    }

    /// Replaces the user's out-of-office settings. A state above 2, or a window whose end is not
    /// after its start, is refused as `InvalidOutOfOffice`.
    pub async fn set_out_of_office(
        &self,
        user_id: i64,
        oof: &OutOfOffice,
    ) -> Result<(), DirectoryError> {
        if oof.state > 2 {
            return Err(DirectoryError::InvalidOutOfOffice("state above 2"));
        }
        if oof.window.is_some_and(|(start, end)| end <= start) {
            return Err(DirectoryError::InvalidOutOfOffice(
                "end time not after start time",
            ));
        }
        if !self.store.put_out_of_office(user_id, oof).await? {
            return Err(DirectoryError::not_found(Entity::User, user_id.to_string()));
        }
        tracing::info!(user_id, state = oof.state, "out of office set");
        Ok(())
    }
}
