-- The statements of one kiosk press, for pgbench (bash bench/hall.sh statements): the database's own part of a
-- ticket, without Python. Variables: centre, actor, digest (the kiosk token's), ticket_type (its content type),
-- run (marks the rows, which the command deletes afterwards). The tickets are written as cancelled in series
-- P1..P5, so that they neither join the queue nor touch the bench's numbers.
\set g random(1, 5)
\set k random(1, 1000000000)
SELECT t.id, u.id FROM people_apitoken t JOIN people_user u ON t.user_id = u.id
  WHERE t.digest = :digest AND t.is_active AND u.is_active ORDER BY t.id LIMIT 1;
BEGIN;
INSERT INTO hall_numbersequence (centre_id, day, series, last) VALUES (:centre, current_date, 'P' || :g::text, 1)
  ON CONFLICT (centre_id, day, series) DO UPDATE SET last = hall_numbersequence.last + 1 RETURNING last \gset
INSERT INTO hall_ticket (centre_id, day, group_id, number, code, status, source, priority_reason, appointment_id,
    resident_name, id_number, issued_at, queued_at, called_at, served_at, finished_at, counter_id, clerk_id,
    target_counter_id, recall_count, transfer_count, wait_seconds, handle_seconds, extended, issue_key, version)
  VALUES (:centre, current_date, :g, :last, 'P' || :g::text || '-' || :last::text, 'cancelled', 'kiosk', '', NULL, '', '',
    now(), now(), NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, true, :run::text || :k::text || '-' || :last::text, 1)
  RETURNING id \gset
INSERT INTO hall_ticketevent (ticket_id, centre_id, action, counter_id, actor_id, data, created_at)
  VALUES (:id, :centre, 'issue', NULL, :actor, '{}'::jsonb, now());
INSERT INTO core_auditentry (created_at, actor_id, actor_name, action, object_type_id, object_id, object_repr,
    region_path, before, after, request_id)
  VALUES (now(), :actor, 'bench.kiosk', 'ticket.issue', :ticket_type, :id, :run, '/320100/320106/320106001/',
    NULL, '{"code": "P1-1", "source": "kiosk", "priority": "", "extended": true}'::jsonb, :run);
COMMIT;
SELECT COUNT(*) FROM hall_ticket WHERE centre_id = :centre AND day = current_date AND group_id = :g
  AND status = 'waiting';
