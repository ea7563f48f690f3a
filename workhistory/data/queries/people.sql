-- name: members
-- The workspace's members by name (or the one member %(user_id)s, when it is not null), each
-- with the number and hours saved of their `team` artifacts. Only `team` artifacts count, for
-- everyone (the viewer included), so the numbers are the same whoever looks. Served by
-- users_tenant_id_id_key and work_artifacts_team_idx.
SELECT u.id AS user_id, u.display_name, u.email,
       count(w.id) AS team_artifacts,
       coalesce(sum(w.estimated_hours_saved), 0) AS team_hours_saved
  FROM users u
  LEFT JOIN work_artifacts w
    ON w.tenant_id = u.tenant_id AND w.user_id = u.id AND w.visibility = 'team'
 WHERE u.tenant_id = %(tenant_id)s
   AND (%(user_id)s::uuid IS NULL OR u.id = %(user_id)s::uuid)
 GROUP BY u.id
 ORDER BY lower(u.display_name), u.id;
