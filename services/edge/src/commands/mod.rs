//! The EAS commands (MS-ASCMD 2.2.1), one module each, and the one table that says, for every
//! command the edge knows, its handler, its response's root element and what it needs to be
//! served. OPTIONS (`MS-ASProtocolCommands`), the pipeline's check before a handler runs, the
//! error bodies and the dispatch all read this table.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::Bytes;
use axum::response::Response;
use eas_protocol::command::Command;
use eas_protocol::compose_mail::ComposeKind;
use eas_wbxml::{Element, Tag};

use crate::edge::Edge;
use crate::error::EdgeError;
use crate::pipeline::context::RequestCtx;

pub(crate) mod compose_mail;
pub(crate) mod folder_create;
pub(crate) mod folder_delete;
pub(crate) mod folder_sync;
pub(crate) mod folder_update;
pub(crate) mod get_item_estimate;
pub(crate) mod item_operations;
pub(crate) mod move_items;
pub(crate) mod ping;
pub(crate) mod provision;
pub(crate) mod resolve_recipients;
pub(crate) mod search;
pub(crate) mod settings;
pub(crate) mod sync;

/// What a command needs from the edge to be served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Needs {
    /// Served by every edge: it reads the directory and the device state only.
    Nothing,
    /// The mail service (Sync and the other collection commands route through the classes,
    /// but mail is the class every edge that serves collections has).
    Mail,
    /// A data class and change events (the push hub).
    Push,
    /// Known to the protocol (its error bodies have a root) but not implemented here.
    Unserved,
}

/// The input a handler is given besides its context.
pub(crate) enum Input {
    /// The decoded WBXML document, if the request had a body.
    Document(Option<Element>),
    /// A MIME message (SendMail, SmartReply, SmartForward; WBXML-wrapped from 14.0).
    Compose(ComposeKind, Bytes),
}

/// The future of a command handler.
pub(crate) type HandlerFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Response, EdgeError>> + Send + 'a>>;

/// A command's handler. Boxed: the request's future then holds a pointer, not the largest
/// handler, so a held Ping keeps only the Ping handler's own state.
type Handler = for<'a> fn(&'a Arc<Edge>, Box<RequestCtx>, Input) -> HandlerFuture<'a>;

/// One row of the table.
pub(crate) struct Entry {
    pub command: Command,
    /// The response's root element, `(code page, name)`, for error bodies (MS-ASCMD 2.2.3.177).
    pub root: (&'static str, &'static str),
    pub needs: Needs,
    handler: Option<Handler>,
}

/// A handler that takes the decoded document and borrows the context.
macro_rules! with_doc {
    ($handle:path) => {{
        fn run<'a>(
            edge: &'a Arc<Edge>,
            mut ctx: Box<RequestCtx>,
            input: Input,
        ) -> HandlerFuture<'a> {
            Box::pin(async move {
                let doc = input.document()?;
                $handle(edge, &mut ctx, doc).await
            })
        }
        Some(run as Handler)
    }};
}

/// A handler of a MIME message.
fn compose<'a>(edge: &'a Arc<Edge>, mut ctx: Box<RequestCtx>, input: Input) -> HandlerFuture<'a> {
    Box::pin(async move {
        match input {
            Input::Compose(kind, body) => compose_mail::handle(edge, &mut ctx, kind, body).await,
            Input::Document(_) => Err(EdgeError::Internal(
                "a compose command reached its handler without its message".into(),
            )),
        }
    })
}

/// Ping owns its context: it frees it before it waits.
fn ping<'a>(edge: &'a Arc<Edge>, ctx: Box<RequestCtx>, input: Input) -> HandlerFuture<'a> {
    Box::pin(async move {
        let doc = input.document()?;
        ping::handle(edge, ctx, doc).await
    })
}

impl Input {
    fn document(self) -> Result<Option<Element>, EdgeError> {
        match self {
            Input::Document(doc) => Ok(doc),
            Input::Compose(..) => Err(EdgeError::Internal(
                "a MIME body reached a WBXML command's handler".into(),
            )),
        }
    }
}

const fn entry(
    command: Command,
    root: (&'static str, &'static str),
    needs: Needs,
    handler: Option<Handler>,
) -> Entry {
    Entry {
        command,
        root,
        needs,
        handler,
    }
}

/// Every command the edge knows, in the order `MS-ASProtocolCommands` lists the served ones.
pub(crate) static TABLE: [Entry; 18] = [
    entry(
        Command::FolderSync,
        ("FolderHierarchy", "FolderSync"),
        Needs::Nothing,
        with_doc!(folder_sync::handle),
    ),
    entry(
        Command::Provision,
        ("Provision", "Provision"),
        Needs::Nothing,
        with_doc!(provision::handle),
    ),
    entry(
        Command::Settings,
        ("Settings", "Settings"),
        Needs::Nothing,
        with_doc!(settings::handle),
    ),
    // MS-ASCMD 2.2.1.15: it reads the directory and, where served, the contacts.
    entry(
        Command::ResolveRecipients,
        ("ResolveRecipients", "ResolveRecipients"),
        Needs::Nothing,
        with_doc!(resolve_recipients::handle),
    ),
    entry(
        Command::Sync,
        ("AirSync", "Sync"),
        Needs::Mail,
        with_doc!(sync::handle),
    ),
    entry(
        Command::GetItemEstimate,
        ("GetItemEstimate", "GetItemEstimate"),
        Needs::Mail,
        with_doc!(get_item_estimate::handle),
    ),
    entry(
        Command::MoveItems,
        ("Move", "MoveItems"),
        Needs::Mail,
        with_doc!(move_items::handle),
    ),
    entry(
        Command::SendMail,
        ("ComposeMail", "SendMail"),
        Needs::Mail,
        Some(compose as Handler),
    ),
    entry(
        Command::SmartReply,
        ("ComposeMail", "SmartReply"),
        Needs::Mail,
        Some(compose as Handler),
    ),
    entry(
        Command::SmartForward,
        ("ComposeMail", "SmartForward"),
        Needs::Mail,
        Some(compose as Handler),
    ),
    entry(
        Command::FolderCreate,
        ("FolderHierarchy", "FolderCreate"),
        Needs::Mail,
        with_doc!(folder_create::handle),
    ),
    entry(
        Command::FolderUpdate,
        ("FolderHierarchy", "FolderUpdate"),
        Needs::Mail,
        with_doc!(folder_update::handle),
    ),
    entry(
        Command::FolderDelete,
        ("FolderHierarchy", "FolderDelete"),
        Needs::Mail,
        with_doc!(folder_delete::handle),
    ),
    entry(
        Command::ItemOperations,
        ("ItemOperations", "ItemOperations"),
        Needs::Mail,
        with_doc!(item_operations::handle),
    ),
    entry(
        Command::Search,
        ("Search", "Search"),
        Needs::Mail,
        with_doc!(search::handle),
    ),
    entry(
        Command::Ping,
        ("Ping", "Ping"),
        Needs::Push,
        Some(ping as Handler),
    ),
    entry(
        Command::ValidateCert,
        ("ValidateCert", "ValidateCert"),
        Needs::Unserved,
        None,
    ),
    entry(Command::Find, ("Find", "Find"), Needs::Unserved, None),
];

/// The table's row for a command.
pub(crate) fn entry_of(cmd: &Command) -> Option<&'static Entry> {
    TABLE.iter().find(|e| e.command == *cmd)
}

/// The response root element of a command, for error bodies.
pub(crate) fn response_root(cmd: &Command) -> Option<Tag> {
    let (ns, name) = entry_of(cmd)?.root;
    Tag::lookup(ns, name)
}

impl Needs {
    fn met(self, edge: &Edge) -> bool {
        match self {
            Needs::Nothing => true,
            Needs::Mail => edge.mail.is_some(),
            Needs::Push => !edge.classes.is_empty() && edge.push().is_some(),
            Needs::Unserved => false,
        }
    }
}

/// Whether a command has a handler on this edge.
pub(crate) fn is_served(edge: &Edge, cmd: &Command) -> bool {
    entry_of(cmd).is_some_and(|e| e.handler.is_some() && e.needs.met(edge))
}

/// The commands this edge serves, in the table's order (`MS-ASProtocolCommands`).
pub(crate) fn served(edge: &Edge) -> impl Iterator<Item = &'static Command> + '_ {
    TABLE
        .iter()
        .filter(|e| e.handler.is_some() && e.needs.met(edge))
        .map(|e| &e.command)
}

/// The command's handler; an unserved command is refused before it gets here.
pub(crate) fn handler(edge: &Arc<Edge>, ctx: Box<RequestCtx>, input: Input) -> HandlerFuture<'_> {
    tracing::debug!(user = %ctx.user.address, device_id = %ctx.line.device_id, cmd = %ctx.line.command.name(), "request");
    match entry_of(&ctx.line.command).and_then(|e| e.handler) {
        Some(run) => run(edge, ctx, input),
        None => {
            let e = EdgeError::UnsupportedCommand(ctx.line.command.name().to_owned());
            Box::pin(std::future::ready(Err(e)))
        }
    }
}
