//! `POST /v1/topics`, `GET /v1/topics`, `DELETE /v1/topics/{topic}`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use flv_tokio::core::sc::topic::{ReplicaSpec, TopicReplicaParam, TopicSpec};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::Access;
use crate::error::ApiError;
use crate::state::{AppState, Auth};

/// `POST /v1/topics` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateTopic {
    name: String,
    #[serde(default = "one")]
    partitions: u32,
    #[serde(default = "one")]
    replication: u32,
}

fn one() -> u32 {
    1
}

/// A topic in `GET /v1/topics`.
#[derive(Debug, Serialize)]
pub(crate) struct TopicInfo {
    name: String,
    partitions: Option<u32>,
    replication: Option<u32>,
    status: String,
}

/// Parses a JSON body, with a 400 that says what is wrong.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad(format!("bad JSON body: {e}")))
}

/// Runs `work` within the request timeout (503 past it).
pub(crate) async fn bounded<T>(
    state: &AppState,
    work: impl Future<Output = T>,
) -> Result<T, ApiError> {
    tokio::time::timeout(state.options.request_timeout, work)
        .await
        .map_err(|_| {
            ApiError::Unavailable(format!(
                "the cluster did not answer within {:?}",
                state.options.request_timeout
            ))
        })
}

/// A valid topic name (as the SC checks it: lowercase letters, digits and `-`, at most 63).
fn check_name(name: &str) -> Result<(), ApiError> {
    if flv_tokio::core::sc::is_valid_resource_name(name) {
        Ok(())
    } else {
        Err(ApiError::bad(format!(
            "topic name {name:?} is not valid (lowercase letters, digits and '-', at most 63)"
        )))
    }
}

pub(crate) async fn create(
    State(state): State<Arc<AppState>>,
    Auth(caller): Auth,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let req: CreateTopic = json_body(&body)?;
    check_name(&req.name)?;
    if req.partitions == 0 || req.replication == 0 {
        return Err(ApiError::bad(
            "partitions and replication must be at least 1",
        ));
    }
    caller.check(Access::Write, &req.name)?;
    let client = state.client().await?;
    let spec = TopicSpec {
        replicas: ReplicaSpec::Computed(TopicReplicaParam {
            partitions: req.partitions,
            replication_factor: req.replication,
            ignore_rack_assignment: false,
        }),
        ..TopicSpec::default()
    };
    let admin = client.admin();
    match bounded(&state, admin.create(req.name.clone(), false, spec)).await? {
        Ok(()) => {}
        Err(e) => {
            state.client_failed(&e).await;
            return Err(ApiError::from_client(&e, Some(&req.name)));
        }
    }
    state.forget_producers(&req.name);
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "name": req.name,
            "partitions": req.partitions,
            "replication": req.replication,
        })),
    ))
}

pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    Auth(caller): Auth,
) -> Result<Json<Vec<TopicInfo>>, ApiError> {
    let client = state.client().await?;
    let admin = client.admin();
    let topics = match bounded(&state, admin.all::<TopicSpec>()).await? {
        Ok(t) => t,
        Err(e) => {
            state.client_failed(&e).await;
            return Err(ApiError::from_client(&e, None));
        }
    };
    let mut out: Vec<TopicInfo> = topics
        .into_iter()
        .filter(|t| caller.sees(&t.name))
        .map(|t| {
            let (partitions, replication) = match &t.spec.replicas {
                ReplicaSpec::Computed(p) => (Some(p.partitions), Some(p.replication_factor)),
                ReplicaSpec::Assigned(maps) => (
                    u32::try_from(maps.len()).ok(),
                    maps.first()
                        .and_then(|m| u32::try_from(m.replicas.len()).ok()),
                ),
                ReplicaSpec::Mirror(_) => (None, None),
            };
            TopicInfo {
                name: t.name,
                partitions,
                replication,
                status: format!("{:?}", t.status.resolution),
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Json(out))
}

pub(crate) async fn delete(
    State(state): State<Arc<AppState>>,
    Auth(caller): Auth,
    Path(topic): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.check(Access::Write, &topic)?;
    let client = state.client().await?;
    let admin = client.admin();
    let result = bounded(&state, admin.delete::<TopicSpec>(topic.clone())).await?;
    state.forget_producers(&topic);
    match result {
        Ok(()) => Ok(Json(json!({ "deleted": topic }))),
        Err(e) => {
            state.client_failed(&e).await;
            Err(ApiError::from_client(&e, Some(&topic)))
        }
    }
}
