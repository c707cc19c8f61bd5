//! GAL search over display names, first and last names and addresses; GAL fields and photos.

use eas_directory::{
    Directory, DirectoryError, GalFields, GalFieldsUpdate, UserUpdate, MAX_PHOTO_BYTES,
};

use crate::harness::{backend_tests, test_options, user, TestDb};

async fn staff(db: &TestDb) -> Directory {
    let dir = db.directory(test_options()).await;
    dir.create_domain("example.loc", None).await.unwrap();
    dir.create_domain("other.loc", None).await.unwrap();
    user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
    user(&dir, "asmith@example.loc", "Anna Smith", "pw").await;
    user(&dir, "bjohnson@example.loc", "Bob Johnson", "pw").await;
    user(&dir, "zed@example.loc", "zed jones", "pw").await;
    user(&dir, "john@other.loc", "John Other", "pw").await;
    dir
}

fn names(users: Vec<eas_directory::User>) -> Vec<String> {
    users.into_iter().map(|u| u.display_name).collect()
}

backend_tests! {
    async fn a_query_matches_the_start_of_any_display_name_word_in_name_order(db: &TestDb) {
        let dir = staff(db).await;
        let found = dir.search_users("example.loc", "JO", 10).await.unwrap();
        assert_eq!(names(found), ["Bob Johnson", "John Doe", "zed jones"]);
    }

    async fn a_query_matches_the_start_of_an_address_or_alias(db: &TestDb) {
        let dir = staff(db).await;
        assert_eq!(
            names(dir.search_users("example.loc", "asm", 10).await.unwrap()),
            ["Anna Smith"]
        );
        assert_eq!(
            names(dir.search_users("example.loc", "jdoe@example", 10).await.unwrap()),
            ["John Doe"]
        );
        dir.add_alias("asmith@example.loc", "anna.s@example.loc").await.unwrap();
        assert_eq!(
            names(dir.search_users("example.loc", "anna.s@", 10).await.unwrap()),
            ["Anna Smith"]
        );
    }

    async fn a_query_does_not_match_the_middle_of_a_word(db: &TestDb) {
        let dir = staff(db).await;
        assert!(dir.search_users("example.loc", "ohn", 10).await.unwrap().is_empty());
        assert!(dir.search_users("example.loc", "%", 10).await.unwrap().is_empty());
        assert!(dir.search_users("example.loc", "  ", 10).await.unwrap().is_empty());
    }

    async fn search_stays_in_its_domain_and_skips_disabled_users(db: &TestDb) {
        let dir = staff(db).await;
        let disable = UserUpdate { disabled: Some(true), ..Default::default() };
        dir.update_user("bjohnson@example.loc", disable).await.unwrap();
        let found = dir.search_users("example.loc", "john", 10).await.unwrap();
        assert_eq!(names(found), ["John Doe"]);
        let found = dir.search_users("other.loc", "john", 10).await.unwrap();
        assert_eq!(names(found), ["John Other"]);
    }

    async fn the_limit_counts_users_not_aliases(db: &TestDb) {
        let dir = staff(db).await;
        dir.add_alias("bjohnson@example.loc", "bob@example.loc").await.unwrap();
        dir.add_alias("bjohnson@example.loc", "bobby@example.loc").await.unwrap();
        let found = dir.search_users("example.loc", "jo", 2).await.unwrap();
        assert_eq!(names(found.clone()), ["Bob Johnson", "John Doe"]);
        assert_eq!(found[0].aliases, ["bob@example.loc", "bobby@example.loc"]);
    }

    async fn gal_fields_are_set_updated_cleared_and_read_back_with_the_user(db: &TestDb) {
        let dir = staff(db).await;
        let fields = GalFields {
            title: Some(" Head of Finance ".into()),
            company: Some("Example Ltd".into()),
            office: Some("B 2.14".into()),
            phone: Some("+1 555 0100".into()),
            home_phone: Some("+1 555 0101".into()),
            mobile_phone: Some("+1 555 0102".into()),
            first_name: Some("Annabel".into()),
            last_name: Some("Smith-Jones".into()),
        };
        let set = dir.set_gal_fields("asmith@example.loc", fields).await.unwrap();
        assert_eq!(set.gal.title.as_deref(), Some("Head of Finance"));
        assert_eq!(set.first_and_last_name(), (Some("Annabel"), Some("Smith-Jones")));
        let update: GalFieldsUpdate =
            serde_json::from_str(r#"{"office": null, "title": "CFO", "phone": "  "}"#).unwrap();
        dir.update_gal_fields("asmith@example.loc", update).await.unwrap();
        let read = dir.get_user("asmith@example.loc").await.unwrap();
        assert_eq!(read.gal.title.as_deref(), Some("CFO"));
        assert_eq!(read.gal.office, None);
        assert_eq!(read.gal.phone, None);
        assert_eq!(read.gal.company.as_deref(), Some("Example Ltd"));
        assert_eq!(read.gal.mobile_phone.as_deref(), Some("+1 555 0102"));
        // Replacing with nothing clears everything; the names come from the display name again.
        dir.set_gal_fields("asmith@example.loc", GalFields::default()).await.unwrap();
        let read = dir.get_user("asmith@example.loc").await.unwrap();
        assert_eq!(read.gal, GalFields::default());
        assert_eq!(read.first_and_last_name(), (Some("Anna"), Some("Smith")));
    }

    async fn bad_gal_fields_and_unknown_users_are_refused(db: &TestDb) {
        let dir = staff(db).await;
        let long = GalFields { title: Some("x".repeat(300)), ..GalFields::default() };
        let err = dir.set_gal_fields("asmith@example.loc", long).await.unwrap_err();
        assert!(matches!(err, DirectoryError::InvalidField { field: "title", .. }), "{err}");
        let err = dir
            .set_gal_fields("nobody@example.loc", GalFields::default())
            .await
            .unwrap_err();
        assert!(matches!(err, DirectoryError::NotFound { .. }), "{err}");
        // An alias names no one to change, as with update_user.
        dir.add_alias("asmith@example.loc", "anna@example.loc").await.unwrap();
        let err = dir
            .update_gal_fields("anna@example.loc", GalFieldsUpdate::default())
            .await
            .unwrap_err();
        assert!(matches!(err, DirectoryError::NotFound { .. }), "{err}");
    }

    async fn a_query_matches_the_start_of_a_stored_first_or_last_name(db: &TestDb) {
        let dir = staff(db).await;
        let fields = GalFields {
            first_name: Some("Robert".into()),
            last_name: Some("Johnson Miller".into()),
            ..GalFields::default()
        };
        dir.set_gal_fields("bjohnson@example.loc", fields).await.unwrap();
        for query in ["rob", "ROBERT", "mil", "johnson m"] {
            assert_eq!(
                names(dir.search_users("example.loc", query, 10).await.unwrap()),
                ["Bob Johnson"],
                "{query}"
            );
        }
        assert!(dir.search_users("example.loc", "bert", 10).await.unwrap().is_empty());
        assert!(dir.search_users("example.loc", "ller", 10).await.unwrap().is_empty());
    }

    async fn a_photo_is_stored_sniffed_listed_and_removed(db: &TestDb) {
        let dir = staff(db).await;
        let jpeg = jpeg(2000);
        let info = dir.set_photo("asmith@example.loc", jpeg.clone()).await.unwrap();
        assert_eq!((info.content_type.as_str(), info.size), ("image/jpeg", 2000));
        let user = dir.get_user("asmith@example.loc").await.unwrap();
        assert_eq!(user.photo, Some(info));
        // Found by an alias too, and in the search results with its size.
        dir.add_alias("asmith@example.loc", "anna@example.loc").await.unwrap();
        let photo = dir.photo("anna@example.loc").await.unwrap().expect("a photo");
        assert_eq!((photo.content_type.as_str(), photo.data), ("image/jpeg", jpeg));
        let found = dir.search_users("example.loc", "anna", 10).await.unwrap();
        assert_eq!(found[0].photo.as_ref().map(|p| p.size), Some(2000));
        // Replaced by a PNG.
        let png = png(300);
        let info = dir.set_photo("asmith@example.loc", png.clone()).await.unwrap();
        assert_eq!((info.content_type.as_str(), info.size), ("image/png", 300));
        let ids = [found[0].id, dir.get_user("jdoe@example.loc").await.unwrap().id];
        let photos = dir.photos(&ids).await.unwrap();
        assert_eq!(photos.len(), 1);
        assert_eq!(photos[&found[0].id].data, png);
        assert!(dir.delete_photo("asmith@example.loc").await.unwrap());
        assert!(!dir.delete_photo("asmith@example.loc").await.unwrap());
        assert!(dir.photo("asmith@example.loc").await.unwrap().is_none());
        assert!(dir.get_user("asmith@example.loc").await.unwrap().photo.is_none());
    }

    async fn photos_that_are_too_large_or_no_image_are_refused(db: &TestDb) {
        let dir = staff(db).await;
        let err = dir
            .set_photo("asmith@example.loc", jpeg(MAX_PHOTO_BYTES + 1))
            .await
            .unwrap_err();
        assert!(matches!(err, DirectoryError::PhotoTooLarge { .. }), "{err}");
        dir.set_photo("asmith@example.loc", jpeg(MAX_PHOTO_BYTES)).await.unwrap();
        for not_image in [&b"GIF89a...."[..], b"", b"<svg xmlns='x'/>"] {
            let err = dir.set_photo("asmith@example.loc", not_image.to_vec()).await.unwrap_err();
            assert!(matches!(err, DirectoryError::NotAnImage), "{err}");
        }
        let err = dir.set_photo("nobody@example.loc", png(100)).await.unwrap_err();
        assert!(matches!(err, DirectoryError::NotFound { .. }), "{err}");
    }

    async fn photos_of_more_users_than_one_query_takes_are_all_read(db: &TestDb) {
        let dir = staff(db).await;
        let anna = dir.get_user("asmith@example.loc").await.unwrap().id;
        let zed = dir.get_user("zed@example.loc").await.unwrap().id;
        dir.set_photo("asmith@example.loc", png(64)).await.unwrap();
        dir.set_photo("zed@example.loc", jpeg(64)).await.unwrap();
        // Anna first, Zed in the third slice, and ids of nobody between.
        let mut ids = vec![anna];
        ids.extend((0..2 * eas_directory::PHOTO_IDS_PER_QUERY as i64).map(|n| 100_000 + n));
        ids.push(zed);
        let photos = dir.photos(&ids).await.unwrap();
        assert_eq!(photos.len(), 2);
        assert_eq!(photos[&zed].content_type, "image/jpeg");
        assert!(dir.photos(&[]).await.unwrap().is_empty());
    }

    async fn deleting_a_user_deletes_the_photo(db: &TestDb) {
        let dir = staff(db).await;
        dir.set_photo("zed@example.loc", png(64)).await.unwrap();
        let zed = dir.get_user("zed@example.loc").await.unwrap().id;
        dir.delete_user("zed@example.loc").await.unwrap();
        assert!(dir.photos(&[zed]).await.unwrap().is_empty());
    }
}

/// `len` bytes that start like a JPEG.
fn jpeg(len: usize) -> Vec<u8> {
    let mut data = vec![0xFF, 0xD8, 0xFF, 0xE0];
    data.resize(len, 0x42);
    data
}

/// `len` bytes that start like a PNG.
fn png(len: usize) -> Vec<u8> {
    let mut data = b"\x89PNG\r\n\x1a\n".to_vec();
    data.resize(len, 0x17);
    data
}
