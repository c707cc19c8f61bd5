//! The gRPC face over an in-process channel, as the one-process server connects the edge:
//! each call's answer and each error's code as the edge decodes it (`eas_rpc::ServiceError`).

use eas_contacts::FolderRole;
use eas_rpc::collections::{DataClass, ListFoldersRequest};
use eas_rpc::contacts::{self as wire};
use eas_rpc::{ServiceError, ServiceErrorCode as C};

use crate::harness::{backend_tests, contact_json, folder_of, USER};

fn code<T: std::fmt::Debug>(r: Result<tonic::Response<T>, tonic::Status>) -> C {
    match r {
        Ok(answer) => panic!("expected an error, got {answer:?}"),
        Err(status) => ServiceError::from_status(&status).code,
    }
}

fn user() -> String {
    USER.to_owned()
}

backend_tests! {
    async fn list_folders_shows_contacts_and_user_folders_only(db: &TestDb) {
        let (client, service) = db.client().await;
        let channel = eas_rpc::in_process::routes_channel(service.clone().into_routes()).await.unwrap();
        let mut collections = eas_rpc::collections_client(channel);
        let mut client = client;
        let list = collections
            .list_folders(ListFoldersRequest { user: user() })
            .await
            .unwrap()
            .into_inner();
        let shown: Vec<(String, u32, String)> = list
            .folders
            .iter()
            .map(|f| (f.display_name.clone(), f.folder_type, f.parent_id.clone()))
            .collect();
        assert_eq!(shown, [("Contacts".to_owned(), 9, "0".to_owned())]);
        assert!(list.folders.iter().all(|f| f.data_class == DataClass::Contacts as i32));
        let contacts = list.folders[0].id.clone();
        let created = client
            .create_folder(wire::CreateFolderRequest { user: user(), parent_id: contacts.clone(), display_name: "Team".into() })
            .await
            .unwrap()
            .into_inner();
        let team = created.folder.unwrap();
        assert_eq!((team.folder_type, team.parent_id.as_str()), (14, contacts.as_str()));
        let list = collections.list_folders(ListFoldersRequest { user: user() }).await.unwrap().into_inner();
        assert_eq!(list.folders.len(), 2);
        assert_eq!(list.hierarchy_counter, created.hierarchy_counter);
        // The collected contacts exist, and stay unlisted.
        folder_of(&service, USER, FolderRole::Collected).await;
    }

    async fn item_calls_answer_and_fail_with_the_shared_codes(db: &TestDb) {
        let (mut client, service) = db.client().await;
        let folder = folder_of(&service, USER, FolderRole::Contacts).await.to_string();
        let other = folder_of(&service, "other@example.loc", FolderRole::Contacts).await.to_string();
        let w = client
            .create_contact(wire::CreateContactRequest { user: user(), folder_id: folder.clone(), json: contact_json("A", "B", &["a@b.example"]) })
            .await
            .unwrap()
            .into_inner();
        let got = client
            .get_contacts(wire::GetContactsRequest { user: user(), folder_id: folder.clone(), ids: vec![w.id.clone(), "x".into(), "0".into(), "07".into()] })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got.contacts.len(), 1);
        assert_eq!((got.contacts[0].id.as_str(), got.contacts[0].modseq), (w.id.as_str(), w.modseq));
        for unknown in [other.clone(), "nope".into(), "".into(), "-1".into()] {
            assert_eq!(
                code(client.get_contacts(wire::GetContactsRequest { user: user(), folder_id: unknown.clone(), ids: vec![] }).await),
                C::NotFound,
                "{unknown:?}"
            );
        }
        assert_eq!(
            code(client.create_contact(wire::CreateContactRequest { user: user(), folder_id: folder.clone(), json: "{}".into() }).await),
            C::InvalidArgument
        );
        let update = |if_modseq: u64, id: &str| wire::UpdateContactRequest {
            user: user(),
            folder_id: folder.clone(),
            id: id.to_owned(),
            json: contact_json("A", "C", &[]),
            if_modseq,
        };
        let u = client.update_contact(update(w.modseq, &w.id)).await.unwrap().into_inner();
        assert!(u.modseq > w.modseq);
        assert_eq!(code(client.update_contact(update(w.modseq, &w.id)).await), C::Conflict);
        assert_eq!(code(client.update_contact(update(0, "999999")).await), C::NotFound);
        assert_eq!(code(client.update_contact(update(0, "abc")).await), C::NotFound);
        assert_eq!(
            code(client.move_contact(wire::MoveContactRequest { user: user(), from_folder_id: folder.clone(), id: w.id.clone(), to_folder_id: folder.clone() }).await),
            C::SameFolder
        );
        let team = client
            .create_folder(wire::CreateFolderRequest { user: user(), parent_id: "0".into(), display_name: "Team".into() })
            .await
            .unwrap()
            .into_inner()
            .folder
            .unwrap();
        let moved = client
            .move_contact(wire::MoveContactRequest { user: user(), from_folder_id: folder.clone(), id: w.id.clone(), to_folder_id: team.id.clone() })
            .await
            .unwrap()
            .into_inner();
        assert_ne!(moved.id, w.id);
        assert!(moved.source_modseq > u.modseq);
        assert_eq!(
            code(client.delete_contact(wire::DeleteContactRequest { user: user(), folder_id: folder.clone(), id: w.id.clone() }).await),
            C::NotFound
        );
        let deleted = client
            .delete_contact(wire::DeleteContactRequest { user: user(), folder_id: team.id.clone(), id: moved.id.clone() })
            .await
            .unwrap()
            .into_inner();
        assert!(deleted.modseq > moved.modseq);
        assert_eq!(
            code(client.search_contacts(wire::SearchRequest { user: user(), query: " ".into(), limit: 0, include_collected: false }).await),
            C::InvalidArgument
        );
        assert_eq!(
            code(client.search_contacts(wire::SearchRequest { user: "nobody".into(), query: "a".into(), limit: 0, include_collected: false }).await),
            C::InvalidArgument
        );
    }

    async fn folder_calls_fail_with_the_shared_codes(db: &TestDb) {
        let (mut client, service) = db.client().await;
        let contacts = folder_of(&service, USER, FolderRole::Contacts).await.to_string();
        let collected = folder_of(&service, USER, FolderRole::Collected).await.to_string();
        let create = |parent: &str, name: &str| wire::CreateFolderRequest { user: user(), parent_id: parent.to_owned(), display_name: name.to_owned() };
        let work = client.create_folder(create("", "Work")).await.unwrap().into_inner().folder.unwrap();
        assert_eq!(work.parent_id, "0");
        assert_eq!(code(client.create_folder(create("0", "work")).await), C::AlreadyExists);
        assert_eq!(code(client.create_folder(create("0", "")).await), C::InvalidArgument);
        assert_eq!(code(client.create_folder(create("12345", "X")).await), C::NotFound);
        for special in [&contacts, &collected] {
            assert_eq!(
                code(client.delete_folder(wire::DeleteFolderRequest { user: user(), folder_id: special.clone() }).await),
                C::SpecialFolder
            );
            assert_eq!(
                code(client.update_folder(wire::UpdateFolderRequest { user: user(), folder_id: special.clone(), parent_id: "0".into(), display_name: "X".into() }).await),
                C::SpecialFolder
            );
        }
        assert_eq!(
            code(client.update_folder(wire::UpdateFolderRequest { user: user(), folder_id: work.id.clone(), parent_id: work.id.clone(), display_name: "Work".into() }).await),
            C::FolderCycle
        );
        let renamed = client
            .update_folder(wire::UpdateFolderRequest { user: user(), folder_id: work.id.clone(), parent_id: contacts.clone(), display_name: "Job".into() })
            .await
            .unwrap()
            .into_inner();
        let f = renamed.folder.unwrap();
        assert_eq!((f.display_name.as_str(), f.parent_id.as_str()), ("Job", contacts.as_str()));
        let gone = client.delete_folder(wire::DeleteFolderRequest { user: user(), folder_id: work.id.clone() }).await.unwrap().into_inner();
        assert!(gone.hierarchy_counter > renamed.hierarchy_counter);
        assert_eq!(
            code(client.delete_folder(wire::DeleteFolderRequest { user: user(), folder_id: work.id.clone() }).await),
            C::NotFound
        );
    }

    async fn vcards_search_and_collection_over_the_wire(db: &TestDb) {
        let (mut client, service) = db.client().await;
        let folder = folder_of(&service, USER, FolderRole::Contacts).await.to_string();
        let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ivy Lane\r\nN:Lane;Ivy;;;\r\nEMAIL:ivy@example.org\r\nEND:VCARD\r\n";
        let imported = client
            .import_vcards(wire::ImportRequest { user: user(), folder_id: String::new(), data: card.as_bytes().to_vec() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!((imported.imported, imported.ids.len(), imported.errors.len()), (1, 1, 0));
        assert_eq!(
            code(client.import_vcards(wire::ImportRequest { user: user(), folder_id: folder.clone(), data: b"nothing".to_vec() }).await),
            C::InvalidArgument
        );
        let exported = client
            .export_vcards(wire::ExportRequest { user: user(), folder_id: folder.clone(), version: 4 })
            .await
            .unwrap()
            .into_inner();
        let text = String::from_utf8(eas_rpc::chunks::collect(exported).await.unwrap()).unwrap();
        assert_eq!(text.matches("BEGIN:VCARD").count(), 1, "{text}");
        assert!(text.contains("VERSION:4.0") && text.contains("ivy@example.org"), "{text}");
        assert_eq!(
            code(client.export_vcards(wire::ExportRequest { user: user(), folder_id: folder.clone(), version: 2 }).await),
            C::InvalidArgument
        );
        let collect = |address: &str| wire::CollectRequest {
            user: user(),
            recipients: vec![wire::Recipient { address: address.to_owned(), display_name: "Someone".into() }],
        };
        assert_eq!(client.collect_recipients(collect("IVY@example.org")).await.unwrap().into_inner().added, 0);
        assert_eq!(client.collect_recipients(collect("kim@example.org")).await.unwrap().into_inner().added, 1);
        assert_eq!(client.collect_recipients(collect("kim@example.org")).await.unwrap().into_inner().added, 0);
        let found = client
            .search_contacts(wire::SearchRequest { user: user(), query: "I".into(), limit: 0, include_collected: true })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(found.total, 1);
        assert_eq!(found.matches[0].folder_id, folder);
        assert_eq!(found.matches[0].contact.as_ref().map(|c| c.id.clone()), imported.ids.first().cloned());
        let found = client
            .search_contacts(wire::SearchRequest { user: user(), query: "kim".into(), limit: 0, include_collected: true })
            .await
            .unwrap()
            .into_inner();
        assert!(found.matches[0].from_collected);
    }
}
