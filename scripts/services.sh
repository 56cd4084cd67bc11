#!/usr/bin/env bash
# Make sure the database servers the tests use are running (this machine kind starts them at
# boot; this restarts one that has stopped). Does nothing when they already answer.
set -uo pipefail
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! answers 5432 && command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if ! answers 3306 && [ -x /usr/sbin/mariadbd ]; then
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
    for _ in $(seq 1 30); do answers 3306 && break; sleep 1; done
fi
exit 0
