//! Each route's operation and GRI, as Onezone 20.02 names them, for `api` caveats: oz-worker
//! release/20.02.20 `src/http/rest/routes/group_routes.erl`, `user_routes.erl` and
//! `token_routes.erl` (`#rest_req{method, b_gri = #b_gri{type, id, aspect, scope}}`, scope
//! `private` unless given), serialized as ctool `gri.erl` does (`od_group` -> `group`,
//! `od_token` -> `token`, an undefined id -> `null`, `{aspect, Arg}` -> `aspect,Arg`).

use axum::http::Method;
use onezone_tokens::token::{ApiCall, CrudOperation, Gri, ServiceKind};

/// Where a part of the GRI comes from.
#[derive(Clone, Copy)]
enum Part {
    /// A fixed text (`null` for an undefined id).
    Fixed(&'static str),
    /// A path parameter.
    Param(&'static str),
    /// The authenticated client's id (`?CLIENT_ID`).
    Client,
}

use Part::{Client, Fixed, Param};

/// One route: method, path (below the base, as axum matches it), operation, entity type, id,
/// aspect and its argument, scope.
type Route = (
    Method,
    &'static str,
    CrudOperation,
    &'static str,
    Part,
    &'static str,
    Option<Part>,
    &'static str,
);

/// Built once: every request with an access token looks its route up here.
static ROUTES: std::sync::LazyLock<Vec<Route>> = std::sync::LazyLock::new(routes);

fn routes() -> Vec<Route> {
    use CrudOperation::{Create, Delete, Get, Update};
    let (get, post, patch, delete) = (Method::GET, Method::POST, Method::PATCH, Method::DELETE);
    let null = Fixed("null");
    vec![
        // group_routes.erl / user_routes.erl
        (post.clone(), "/user/groups", Create, "group", null, "instance", None, "private"),
        (get.clone(), "/user/groups", Get, "user", Client, "groups", None, "private"),
        (post.clone(), "/user/groups/join", Create, "group", null, "join", None, "private"),
        (get.clone(), "/user", Get, "user", Client, "instance", None, "protected"),
        (get.clone(), "/groups/{id}", Get, "group", Param("id"), "instance", None, "protected"),
        (get.clone(), "/groups/{id}/users", Get, "group", Param("id"), "users", None, "private"),
        (
            post.clone(),
            "/groups/{id}/users/token",
            Create,
            "group",
            Param("id"),
            "invite_user_token",
            None,
            "private",
        ),
        (
            get.clone(),
            "/groups/{id}/users/{uid}/privileges",
            Get,
            "group",
            Param("id"),
            "user_privileges",
            Some(Param("uid")),
            "private",
        ),
        (
            patch.clone(),
            "/groups/{id}/users/{uid}/privileges",
            Update,
            "group",
            Param("id"),
            "user_privileges",
            Some(Param("uid")),
            "private",
        ),
        (
            get.clone(),
            "/groups/{id}/effective_users",
            Get,
            "group",
            Param("id"),
            "eff_users",
            None,
            "private",
        ),
        (
            get.clone(),
            "/groups/{id}/effective_users/{uid}/privileges",
            Get,
            "group",
            Param("id"),
            "eff_user_privileges",
            Some(Param("uid")),
            "private",
        ),
        (
            get.clone(),
            "/groups/{id}/children",
            Get,
            "group",
            Param("id"),
            "children",
            None,
            "private",
        ),
        (
            post.clone(),
            "/groups/{id}/children/token",
            Create,
            "group",
            Param("id"),
            "invite_group_token",
            None,
            "private",
        ),
        (
            get.clone(),
            "/groups/{id}/children/{cid}/privileges",
            Get,
            "group",
            Param("id"),
            "child_privileges",
            Some(Param("cid")),
            "private",
        ),
        (
            patch.clone(),
            "/groups/{id}/children/{cid}/privileges",
            Update,
            "group",
            Param("id"),
            "child_privileges",
            Some(Param("cid")),
            "private",
        ),
        (
            get.clone(),
            "/groups/{id}/parents",
            Get,
            "group",
            Param("id"),
            "parents",
            None,
            "private",
        ),
        (post.clone(), "/groups/{id}/parents/join", Create, "group", null, "join", None, "private"),
        // token_routes.erl
        (post.clone(), "/tokens/examine", Create, "token", null, "examine", None, "public"),
        (post.clone(), "/tokens/confine", Create, "token", null, "confine", None, "public"),
        (
            post.clone(),
            "/tokens/verify_access_token",
            Create,
            "token",
            null,
            "verify_access_token",
            None,
            "public",
        ),
        (
            post.clone(),
            "/tokens/verify_identity_token",
            Create,
            "token",
            null,
            "verify_identity_token",
            None,
            "public",
        ),
        (
            post.clone(),
            "/tokens/verify_invite_token",
            Create,
            "token",
            null,
            "verify_invite_token",
            None,
            "public",
        ),
        (
            get.clone(),
            "/user/tokens/named",
            Get,
            "token",
            null,
            "user_named_tokens",
            Some(Client),
            "private",
        ),
        (
            post.clone(),
            "/user/tokens/named",
            Create,
            "token",
            null,
            "user_named_token",
            Some(Client),
            "private",
        ),
        (
            delete.clone(),
            "/user/tokens/named",
            Delete,
            "token",
            null,
            "user_named_tokens",
            Some(Client),
            "private",
        ),
        (
            get.clone(),
            "/user/tokens/named/name/{name}",
            Get,
            "token",
            Param("name"),
            "user_named_token",
            Some(Client),
            "private",
        ),
        (get.clone(), "/tokens/named/{id}", Get, "token", Param("id"), "instance", None, "private"),
        (
            patch.clone(),
            "/tokens/named/{id}",
            Update,
            "token",
            Param("id"),
            "instance",
            None,
            "private",
        ),
        (
            delete.clone(),
            "/tokens/named/{id}",
            Delete,
            "token",
            Param("id"),
            "instance",
            None,
            "private",
        ),
        (
            get.clone(),
            "/tokens/named/{id}/status",
            Get,
            "token",
            Param("id"),
            "instance",
            None,
            "shared",
        ),
        (
            post.clone(),
            "/user/tokens/temporary",
            Create,
            "token",
            null,
            "user_temporary_token",
            Some(Client),
            "private",
        ),
        (
            get.clone(),
            "/user/tokens/temporary",
            Get,
            "temporary_token_secret",
            Client,
            "user",
            None,
            "shared",
        ),
        (
            delete,
            "/user/tokens/temporary",
            Delete,
            "token",
            null,
            "user_temporary_tokens",
            Some(Client),
            "private",
        ),
    ]
}

/// The path parameters of `path` if it matches `route` (`{name}` segments match one segment).
fn matches(route: &str, path: &str) -> Option<Vec<(String, String)>> {
    let (mut route, mut path) = (route.split('/'), path.split('/'));
    let mut params = Vec::new();
    loop {
        match (route.next(), path.next()) {
            (None, None) => return Some(params),
            (Some(r), Some(p)) if r.starts_with('{') && r.ends_with('}') && !p.is_empty() => {
                params.push((r[1..r.len() - 1].to_owned(), p.to_owned()));
            }
            (Some(r), Some(p)) if r == p => {}
            _ => return None,
        }
    }
}

/// The API call of a request to `path` (below the base path, as sent), with the client's id;
/// `None` for a route Onezone has no GRI for, or a part that is no GRI part (an `api` caveat
/// then refuses the request).
pub(crate) fn api_call(method: &Method, path: &str, client: Option<&str>) -> Option<ApiCall> {
    let (params, (_, _, operation, entity_type, id, aspect, argument, scope)) = ROUTES
        .iter()
        .filter(|r| r.0 == *method)
        .find_map(|r| matches(r.1, path).map(|params| (params, r)))?;
    let (operation, id, argument) = (*operation, *id, *argument);
    let (entity_type, aspect, scope): (&str, &str, &str) = (entity_type, aspect, scope);
    let part = |part: Part| -> Option<String> {
        match part {
            Fixed(text) => Some(text.to_owned()),
            Param(name) => params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
            Client => client.map(str::to_owned),
        }
    };
    let aspect = match argument {
        None => aspect.to_owned(),
        Some(argument) => format!("{aspect},{}", part(argument)?),
    };
    let gri = Gri {
        entity_type: entity_type.to_owned(),
        entity_id: part(id)?,
        aspect,
        scope: scope.to_owned(),
    };
    // Only what reads back as a GRI is one (a name with a dot in it is not).
    let gri: Gri = gri.to_string().parse().ok()?;
    Some(ApiCall { service: ServiceKind::OzWorker, operation, gri })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(method: Method, route: &str, params: &[(&str, &str)]) -> Option<String> {
        let mut path = route.to_owned();
        for (k, v) in params {
            path = path.replace(&format!("{{{k}}}"), v);
        }
        api_call(&method, &path, Some("alice")).map(|c| c.to_string())
    }

    #[test]
    fn routes_name_onezones_gris() {
        assert_eq!(
            call(Method::POST, "/user/groups", &[]).as_deref(),
            Some("ozw/create/group.null.instance:private")
        );
        assert_eq!(
            call(Method::GET, "/groups/{id}", &[("id", "g1")]).as_deref(),
            Some("ozw/get/group.g1.instance:protected")
        );
        assert_eq!(
            call(
                Method::PATCH,
                "/groups/{id}/users/{uid}/privileges",
                &[("id", "g1"), ("uid", "bob")]
            )
            .as_deref(),
            Some("ozw/update/group.g1.user_privileges,bob:private")
        );
        assert_eq!(
            call(Method::POST, "/user/tokens/named", &[]).as_deref(),
            Some("ozw/create/token.null.user_named_token,alice:private")
        );
        assert_eq!(
            call(Method::GET, "/user/tokens/temporary", &[]).as_deref(),
            Some("ozw/get/temporary_token_secret.alice.user:shared")
        );
        assert_eq!(
            call(Method::GET, "/tokens/named/{id}/status", &[("id", "t1")]).as_deref(),
            Some("ozw/get/token.t1.instance:shared")
        );
        // No route, or a part that is not a GRI part: no call.
        assert_eq!(call(Method::PUT, "/user/groups", &[]), None);
        assert_eq!(call(Method::GET, "/groups/g1/users/extra", &[]), None);
        assert_eq!(call(Method::GET, "/groups//users", &[]), None);
        assert_eq!(call(Method::GET, "/user/tokens/named/name/{name}", &[("name", "a.b")]), None);
        // Every route of the table reads back.
        for (method, route, ..) in routes() {
            let params = [("id", "x1"), ("uid", "u1"), ("cid", "c1"), ("name", "n1")];
            assert!(call(method.clone(), route, &params).is_some(), "{method} {route}");
        }
    }
}
