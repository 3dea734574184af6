//! The metadata component: the client's watches of the SC's SPU, partition and topic
//! stores, and what their answers do to the
//! [`MetadataStore`](super::MetadataStore) kept in [`Net`].
//!
//! The store stays in `Net` because every component reads it (leaders, partition counts,
//! SPU addresses); this component is its only writer. It sends the three watches on each
//! new SC connection, applies their answers, announces [`Event::MetadataReady`] once, and
//! marks the store unsynchronised when the SC connection goes down. It has no timers of
//! its own: a silent watch is caught by the links' liveness probe of the SC connection.

use super::error::ClientError;
use super::event::{ConnId, Event};
use super::ids::Tag;
use super::net::Net;
use crate::protocol::message::{AnyRequest, AnyResponse};
use crate::protocol::sc::ObjectWatchRequest;
use crate::protocol::sc::objects::ObjectKind;
use crate::time::Instant;

/// The metadata watches of the client.
#[derive(Debug, Default)]
pub(crate) struct MetaSync {
    /// Whether [`Event::MetadataReady`] was pushed (once per client).
    announced: bool,
}

impl MetaSync {
    /// A new SC connection `conn`: queues the watches on it, first of all requests (as the
    /// official client), answered once the handshake ends.
    pub(crate) fn sc_ready(&self, net: &mut Net, conn: ConnId, now: Instant) {
        for kind in [ObjectKind::Spu, ObjectKind::Partition, ObjectKind::Topic] {
            let body = AnyRequest::Watch(ObjectWatchRequest::new(kind));
            net.submit(conn, Tag::MetaWatch, body, true, now);
        }
    }

    /// An answer of a watch: applies it to the store. Returns whether it was a watch
    /// update (then the router tells the other components that the metadata changed).
    pub(crate) fn handle_response(&mut self, net: &mut Net, body: AnyResponse) -> bool {
        let AnyResponse::Watch(update) = body else {
            return false;
        };
        net.metadata.apply(update);
        if net.metadata.is_synced() && !self.announced {
            self.announced = true;
            net.events.push_back(Event::MetadataReady);
        }
        true
    }

    /// A watch failed: nothing to undo, the failure closes (or comes from) the SC
    /// connection, whose reconnection sends the watches again.
    pub(crate) fn handle_failed(&self, error: &ClientError) {
        tracing::debug!(%error, "metadata watch failed");
    }

    /// The SC connection went down: the store is stale until the watches answer again.
    pub(crate) fn sc_closed(&self, net: &mut Net) {
        net.metadata.unsync();
    }
}
