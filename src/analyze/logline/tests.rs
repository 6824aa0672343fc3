use super::*;

fn d(log: &str) -> Decisive {
    decisive(log).expect("a decisive line")
}

#[test]
fn java_innermost_caused_by() {
    let log = "2026-01-01 ERROR o.s.boot.SpringApplication : Application run failed\n\
org.springframework.beans.factory.BeanCreationException: Error creating bean with name 'dataSource'\n\
\tat org.springframework.Foo.bar(Foo.java:1)\n\
Caused by: org.hibernate.HibernateException: Unable to open JDBC connection\n\
\t... 12 common frames omitted\n\
Caused by: java.net.ConnectException: Connection refused\n\
\tat java.base/sun.nio.ch.Net.connect0(Native Method)\n";
    let x = d(log);
    assert_eq!(x.rule, "caused by");
    assert!(x.line.contains("java.net.ConnectException"), "{x:?}");
}

#[test]
fn java_unknown_host_names_the_host() {
    let x = d("Caused by: java.net.UnknownHostException: kafka-broker-0.kafka\n\tat x");
    assert_eq!(
        x.names,
        vec![Named::Unresolved {
            host: "kafka-broker-0.kafka".into()
        }]
    );
}

#[test]
fn python_last_traceback_line() {
    let log = "INFO starting\nTraceback (most recent call last):\n  File \"/app/main.py\", line 3, in <module>\n    import settings\n  File \"/app/settings.py\", line 9, in <module>\n    DB = os.environ[\"DATABASE_URL\"]\n         ~~~~~~~~~~^^^^^^^^^^^^^^^^\n  File \"<frozen os>\", line 685, in __getitem__\nKeyError: 'DATABASE_URL'\n";
    let x = d(log);
    assert_eq!(x.rule, "traceback");
    assert_eq!(x.line, "KeyError: 'DATABASE_URL'");
    assert_eq!(
        x.names,
        vec![Named::EnvVar {
            name: "DATABASE_URL".into()
        }]
    );
}

#[test]
fn python_gaierror_takes_the_host_from_earlier_lines() {
    let log = "connecting to broker at amqp://rabbitmq:5672\nTraceback (most recent call last):\n  File \"/w.py\", line 1, in <module>\nsocket.gaierror: [Errno -3] Temporary failure in name resolution\n";
    let x = d(log);
    assert_eq!(
        x.names,
        vec![Named::Unresolved {
            host: "rabbitmq".into()
        }]
    );
}

#[test]
fn go_panic_and_fatal_error() {
    let x = d(
        "starting\npanic: open /etc/app/config.json: no such file or directory\n\ngoroutine 1 [running]:\nmain.main()\n",
    );
    assert_eq!(x.rule, "panic");
    assert_eq!(
        x.names,
        vec![Named::File {
            path: "/etc/app/config.json".into()
        }]
    );
    let y = d("fatal error: concurrent map writes\n\ngoroutine 7 [running]:\n");
    assert!(y.line.starts_with("fatal error:"));
}

#[test]
fn logrus_and_zap_fatal_lines() {
    let x = d(
        "time=\"t\" level=info msg=\"up\"\ntime=\"t\" level=fatal msg=\"db init failed\" error=\"dial tcp 10.96.3.4:5432: connect: connection refused\"\n",
    );
    assert_eq!(x.rule, "fatal");
    assert_eq!(
        x.names,
        vec![Named::Unreachable {
            host: "10.96.3.4".into(),
            port: Some(5432),
            refused: true
        }]
    );
    let z = d(
        "{\"level\":\"info\",\"msg\":\"up\"}\n{\"level\":\"fatal\",\"ts\":1,\"msg\":\"cannot start\",\"error\":\"dial tcp: lookup nats on 10.96.0.10:53: no such host\"}\n",
    );
    assert_eq!(
        z.names,
        vec![Named::Unresolved {
            host: "nats".into()
        }]
    );
}

#[test]
fn node_uncaught_error() {
    let log = "server listening\nnode:internal/process/promises:289\n            triggerUncaughtException(err, true);\n            ^\n\nError: getaddrinfo ENOTFOUND elasticsearch\n    at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:118:26) {\n  errno: -3008,\n}\n\nNode.js v20.10.0\n";
    let x = d(log);
    assert_eq!(x.rule, "exception");
    assert_eq!(
        x.names,
        vec![Named::Unresolved {
            host: "elasticsearch".into()
        }]
    );
}

#[test]
fn pino_numeric_levels() {
    let x = d(
        "{\"level\":30,\"msg\":\"start\"}\n{\"level\":50,\"err\":{\"message\":\"connect ECONNREFUSED 10.1.2.3:6379\"},\"msg\":\"redis down\"}\n{\"level\":30,\"msg\":\"bye\"}\n",
    );
    assert_eq!(x.rule, "error");
    assert!(x.line.contains("redis down"));
    assert!(
        matches!(&x.names[0], Named::Unreachable { host, port: Some(6379), .. } if host == "10.1.2.3")
    );
}

#[test]
fn klog_fatal_takes_names_from_the_error_before_it() {
    let log = "I0101 00:00:00.000000 1 main.go:1] start\nE0101 00:00:01.000000 1 reflector.go:1] failed to list *v1.Secret: secrets is forbidden: User \"system:serviceaccount:ops:agent\" cannot list resource \"secrets\" in API group \"\" in the namespace \"ops\"\nF0101 00:00:31.000000 1 main.go:9] timed out waiting for caches to sync\n";
    let x = d(log);
    assert_eq!(x.rule, "fatal");
    assert!(x.context.is_some());
    assert_eq!(
        x.names,
        vec![Named::Forbidden {
            user: "system:serviceaccount:ops:agent".into(),
            verb: "list".into(),
            resource: "secrets".into(),
            namespace: Some("ops".into()),
        }]
    );
}

#[test]
fn rust_panic_message_on_the_next_line() {
    let x = d(
        "thread 'main' panicked at src/config.rs:12:5:\nmissing field `database_url`\nnote: run with `RUST_BACKTRACE=1`\n",
    );
    assert_eq!(x.rule, "panic");
    assert_eq!(
        x.names,
        vec![Named::Key {
            name: "database_url".into()
        }]
    );
}

#[test]
fn dotnet_inner_exception() {
    let x = d(
        "Unhandled exception. System.InvalidOperationException: boom\n ---> System.Net.Http.HttpRequestException: Connection refused (identity:80)\n   at X.Y()\n",
    );
    assert_eq!(x.rule, "inner exception");
    assert!(x.line.contains("HttpRequestException"));
}

#[test]
fn credentials_and_mysql_access_denied() {
    let x =
        d("ERROR 1045 (28000): Access denied for user 'shop'@'10.244.1.5' (using password: YES)\n");
    assert_eq!(
        x.names,
        vec![Named::AuthFailed {
            user: Some("shop".into())
        }]
    );
}

#[test]
fn nginx_error_log_and_plain_fatal() {
    let x = d(
        "2026/01/01 00:00:00 [emerg] 1#1: host not found in upstream \"api:8080\" in /etc/nginx/conf.d/default.conf:12\nnginx: [emerg] host not found in upstream \"api:8080\"\n",
    );
    assert_eq!(x.rule, "fatal");
    let y = d("FATAL: could not load config\n");
    assert_eq!(y.rule, "fatal");
}

#[test]
fn healthy_log_has_no_decisive_line() {
    assert!(decisive("listening on :8080\nGET / 200\n").is_none());
}

#[test]
fn a_source_position_is_not_a_host() {
    let x = d("F0101 00:00:31.000000 1 main.go:77] timed out waiting for caches to sync\n");
    assert!(x.names.is_empty(), "{x:?}");
}

fn unreachable(host: &str, port: Option<u16>) -> Named {
    Named::Unreachable {
        host: host.into(),
        port,
        refused: true,
    }
}

fn first_host(x: &Decisive) -> (String, Option<u16>, bool) {
    match x.names.first() {
        Some(Named::Unreachable { host, port, .. }) => (host.clone(), *port, false),
        Some(Named::Unresolved { host }) => (host.clone(), None, true),
        other => panic!("no host in {x:?} ({other:?})"),
    }
}

#[test]
fn rails_exception_with_its_class_in_parentheses() {
    let log = "=> Booting Puma\nI, [2026-12-02T03:04:05.100000 #1]  INFO -- : Puma starting\n/usr/local/bundle/gems/pg-1.5.4/lib/pg/connection.rb:701:in 'async_connect_or_reset': connection to server at \"10.96.40.7\", port 5432 failed: Connection refused (PG::ConnectionBad)\n\tfrom /usr/local/bundle/gems/pg-1.5.4/lib/pg/connection.rb:824:in 'connect_to_hosts'\n\tfrom bin/rails:4:in '<main>'\n";
    let x = d(log);
    assert_eq!(x.rule, "exception");
    assert!(x.line.ends_with("(PG::ConnectionBad)"), "{x:?}");
    assert_eq!(x.names, vec![unreachable("10.96.40.7", Some(5432))]);
    let y = d(
        "E, [2026-12-02T03:04:05.123456 #1] ERROR -- : Failed to open TCP connection to payments-api:443 (getaddrinfo: Name or service not known)\n",
    );
    assert_eq!(first_host(&y), ("payments-api".into(), None, true));
    let z = d(
        "F, [2026-12-02T03:04:05.123456 #1] FATAL -- : \nKeyError: key not found: \"SECRET_KEY_BASE\"\n",
    );
    assert_eq!(
        z.names,
        vec![Named::EnvVar {
            name: "SECRET_KEY_BASE".into()
        }]
    );
}

#[test]
fn php_and_laravel() {
    let x = d(
        "[02-Dec-2026 03:04:05] NOTICE: fpm is running\n[2026-12-02 03:04:05] production.ERROR: SQLSTATE[HY000] [2002] php_network_getaddresses: getaddrinfo for mysql-primary failed: Name or service not known {\"exception\":\"[object] (PDOException(code: 2002))\"}\n",
    );
    assert_eq!(x.rule, "error");
    assert_eq!(first_host(&x), ("mysql-primary".into(), None, true));
    let y = d(
        "PHP Warning:  include(/var/www/html/config/app.php): Failed to open stream: No such file or directory in /var/www/html/index.php on line 3\nPHP Fatal error:  Uncaught Error: Failed opening required '/var/www/html/config/app.php' in /var/www/html/index.php:3\n",
    );
    assert_eq!(y.rule, "fatal");
    assert_eq!(
        y.names,
        vec![Named::File {
            path: "/var/www/html/config/app.php".into()
        }],
        "{y:?}"
    );
}

#[test]
fn elixir_and_erlang() {
    let x = d(
        "03:04:05.120 [info] Running ShopWeb.Endpoint\n03:04:06.002 [error] Postgrex.Protocol (#PID<0.2317.0>) failed to connect: ** (DBConnection.ConnectionError) tcp connect (orders-db:5432): connection refused - :econnrefused\n",
    );
    assert_eq!(x.rule, "error");
    assert_eq!(x.names, vec![unreachable("orders-db", Some(5432))]);
    let y = d(
        "03:04:06.002 [error] Postgrex.Protocol failed to connect: ** (DBConnection.ConnectionError) tcp connect (db.shop:5432): non-existing domain - :nxdomain\n",
    );
    assert_eq!(first_host(&y), ("db.shop".into(), None, true));
    let z = d(
        "** (System.EnvError) could not fetch environment variable \"DATABASE_URL\" because it is not set\n    (elixir 1.15.7) lib/system.ex:706: System.fetch_env!/1\n",
    );
    assert_eq!(z.rule, "exception");
    assert_eq!(
        z.names,
        vec![Named::EnvVar {
            name: "DATABASE_URL".into()
        }]
    );
}

#[test]
fn akka_and_log4j_layouts() {
    let x = d(
        "[INFO] [12/02/2026 03:04:05.100] [main] [akka://orders/user] started\n[ERROR] [12/02/2026 03:04:06.200] [orders-akka.actor.default-dispatcher-5] [akka://orders/system/kafka-consumer] Tcp command [Connect(kafka-broker:9092,None,List(),Some(10 seconds),true)] failed because of java.net.ConnectException: Connection refused\n",
    );
    assert_eq!(x.names, vec![unreachable("kafka-broker", Some(9092))]);
    let y = d(
        "03:04:05.123 [main] INFO  c.e.App - starting\n03:04:06.456 [main] ERROR o.a.k.c.NetworkClient - [Consumer clientId=c1] Connection to node -1 (events-kafka/10.96.8.8:9092) could not be established. Broker may not be available.\n",
    );
    assert_eq!(y.rule, "error");
    assert_eq!(first_host(&y), ("events-kafka".into(), Some(9092), false));
    let z = d(
        "{\"instant\":{\"epochSecond\":1764644645,\"nanoOfSecond\":0},\"level\":\"ERROR\",\"loggerName\":\"c.e.Db\",\"message\":\"pool init failed\",\"thrown\":{\"name\":\"java.sql.SQLException\",\"message\":\"Access denied for user 'ledger'@'10.244.1.9'\"}}\n",
    );
    assert!(z.line.contains("Access denied"), "{z:?}");
    assert_eq!(
        z.names,
        vec![Named::AuthFailed {
            user: Some("ledger".into())
        }]
    );
}

#[test]
fn systemd_priorities_and_python_critical() {
    let x = d("<6>starting\n<3>cannot bind: address already in use\n<6>retrying\n");
    assert_eq!(x.rule, "error");
    assert!(x.line.contains("cannot bind"));
    let y = d(
        "2026-12-02 03:04:05,100 - worker - INFO - up\n2026-12-02 03:04:06,100 - worker - CRITICAL - Error -2 connecting to redis-cache:6379. Name or service not known.\n2026-12-02 03:04:06,200 - worker - INFO - exiting\n",
    );
    assert_eq!(y.rule, "fatal");
    assert_eq!(first_host(&y), ("redis-cache".into(), None, true));
}

#[test]
fn structured_json_with_severity_and_error_fields() {
    let x = d(
        "{\"severity\":\"INFO\",\"message\":\"up\"}\n{\"severity\":\"ERROR\",\"message\":\"upstream call failed\",\"error\":\"Post \\\"http://pricing.shop.svc.cluster.local:8080/quote\\\": context deadline exceeded\"}\n",
    );
    assert_eq!(x.rule, "error");
    assert_eq!(
        first_host(&x),
        ("pricing.shop.svc.cluster.local".into(), Some(8080), false)
    );
    let y = d(
        "{\"log\":{\"level\":\"error\"},\"message\":\"cache\",\"error\":{\"message\":\"read tcp 10.244.2.9:51234->10.96.7.7:6379: i/o timeout\"}}\n",
    );
    assert_eq!(first_host(&y).0, "10.96.7.7");
}

#[test]
fn hosts_in_urls_and_dsns() {
    let cases: &[(&str, &str, Option<u16>)] = &[
        (
            "ERROR could not connect to postgres://app:***@orders-pg:5432/orders: connection refused",
            "orders-pg",
            Some(5432),
        ),
        (
            "error: failed to connect to mysql://shop@mysql.data:3306/shop (timeout)",
            "mysql.data",
            Some(3306),
        ),
        (
            "Error: AMQP connection to amqp://guest:***@rabbitmq:5672/ failed: ECONNREFUSED",
            "rabbitmq",
            Some(5672),
        ),
        (
            "fatal: cannot connect to redis://session-cache:6380/0: connection reset by peer",
            "session-cache",
            Some(6380),
        ),
        (
            "ERROR HikariPool-1 - Exception during pool initialization: unable to connect to jdbc:sqlserver://ledger-sql:1433;databaseName=ledger",
            "ledger-sql",
            Some(1433),
        ),
    ];
    for (line, host, port) in cases {
        let x = d(line);
        let (h, p, _) = first_host(&x);
        assert_eq!((h.as_str(), p), (*host, *port), "{line}");
    }
    let m =
        d("MongoServerSelectionError: querySrv ENOTFOUND _mongodb._tcp.cluster0.orders.internal\n");
    assert_eq!(
        first_host(&m),
        ("cluster0.orders.internal".into(), None, true)
    );
    let g = d("panic: dial tcp: lookup inventory-grpc on 10.96.0.10:53: no such host\n");
    assert_eq!(first_host(&g), ("inventory-grpc".into(), None, true));
    let h = d("Error: getaddrinfo ENOTFOUND search-es\n    at x (node:dns:1:1)\n");
    assert_eq!(first_host(&h), ("search-es".into(), None, true));
    let t = d(
        "level=error msg=\"export failed\" err=\"rpc error: code = DeadlineExceeded desc = context deadline exceeded\" endpoint=otel-collector:4317\n",
    );
    assert!(!t.line.is_empty());
}

#[test]
fn a_port_already_taken() {
    for (line, port) in [
        (
            "level=fatal msg=\"metrics listener failed: listen tcp :9100: bind: address already in use\"",
            9100,
        ),
        (
            "Error: listen EADDRINUSE: address already in use :::3000",
            3000,
        ),
        (
            "OSError: [Errno 98] Address already in use: port 8000",
            8000,
        ),
        (
            "***************************\nAPPLICATION FAILED TO START\nDescription:\nWeb server failed to start. Port 8080 was already in use.",
            8080,
        ),
        (
            "2026/12/02 03:04:05 [emerg] 1#1: bind() to 0.0.0.0:80 failed (98: Address already in use)",
            80,
        ),
    ] {
        let x = d(line);
        assert!(
            x.names.contains(&Named::PortInUse { port }),
            "{line}: {x:?}"
        );
    }
}

#[test]
fn what_a_waiting_container_waits_for() {
    let w = |log: &str| waited_for(log);
    assert_eq!(
        w("waiting for kafka:9092\nwaiting for kafka:9092  [× 36]\n"),
        Some(Named::Unreachable {
            host: "kafka".into(),
            port: Some(9092),
            refused: false
        })
    );
    assert!(matches!(
        w("nc: connect to orders-db port 5432 (tcp) failed: Connection refused\nsleeping 2\n"),
        Some(Named::Unreachable { host, port: Some(5432), .. }) if host == "orders-db"
    ));
    assert!(matches!(
        w("waiting for service mysql.data.svc.cluster.local\n"),
        Some(Named::Unreachable { host, port: None, .. }) if host == "mysql.data.svc.cluster.local"
    ));
    assert_eq!(w("migrations applied\ndone\n"), None);
}

#[test]
fn java_chain_names_the_host_of_its_own_caused_by_lines() {
    // A Quarkus/Vert.x style chain: the innermost cause names nothing, the one above names the
    // host as `name/ip:port`; an unrelated earlier error about another host does not count.
    let log = "2026-01-04 10:00:01,001 ERROR [io.sm.re.me.kafka] (vert.x-eventloop) SRMSG18207: connection to node -1 (orders-kafka/10.96.3.4:9092) could not be established\n\
2026-01-04 10:00:02,001 ERROR [io.qu.ru.Application] (main) Failed to start application\n\
java.lang.RuntimeException: Failed to start quarkus\n\
\tat io.quarkus.runner.ApplicationImpl.doStart(ApplicationImpl.java:12)\n\
Caused by: io.vertx.core.impl.NoStackTraceThrowable: Connection refused: ledger-db/10.96.44.9:5432\n\
Caused by: java.net.ConnectException: Connection refused\n";
    let d = super::decisive(log).expect("decisive");
    assert_eq!(
        d.names.first(),
        Some(&super::Named::Unreachable {
            host: "ledger-db".into(),
            port: Some(5432),
            refused: true
        }),
        "{d:?}"
    );
}

#[test]
fn a_retried_warning_on_the_side_is_not_the_context_of_a_refusal() {
    let log = [
        "INFO  app: connecting to catalog at http://catalog:9000",
        "2026-01-04 10:00:01 metrics.push WARNING push to statsd-exporter:9125 failed, retrying in 5s",
        "Traceback (most recent call last):",
        "  File \"/app/main.py\", line 10, in <module>",
        "    client.ping()",
        "requests.exceptions.ConnectionError: [Errno 111] Connection refused",
    ]
    .join("\n");
    let log = log.as_str();
    let d = super::decisive(log).expect("decisive");
    match d.names.first() {
        Some(super::Named::Unreachable { host, .. }) => assert_eq!(host, "catalog", "{d:?}"),
        _ => panic!("{d:?}"),
    }
}

#[test]
fn anyhow_caused_by_block_reads_to_the_root() {
    let log = "2026-01-04T10:00:00Z  WARN tracing: OTEL_SERVICE_NAME not set\n\
Error: failed to start indexer\n\
\n\
Caused by:\n\
    0: opening index at /var/lib/indexer/segments.db\n\
    1: No such file or directory (os error 2)\n";
    let d = super::decisive(log).expect("decisive");
    assert_eq!(
        d.names.first(),
        Some(&super::Named::File {
            path: "/var/lib/indexer/segments.db".into()
        }),
        "{d:?}"
    );
    assert!(d.line.contains("No such file"), "{}", d.line);
}

#[test]
fn what_was_being_done_when_the_line_names_nothing() {
    let log = [
        "Migrating schema \"app\" to version \"7 - add index\"",
        "ERROR: Migration V7__add_index.sql failed",
        "SQL State  : 42501",
        "Message    : ERROR: permission denied for table accounts",
        "Caused by: org.postgresql.util.PSQLException: ERROR: permission denied for table accounts",
    ]
    .join("\n");
    let d = super::decisive(&log).expect("decisive");
    assert!(d.line.contains("permission denied"), "{d:?}");
    assert!(
        d.context
            .as_deref()
            .is_some_and(|c| c.contains("V7__add_index.sql")),
        "{d:?}"
    );
}

/// Real-shaped logs of formats seen in the wild (.NET console and Serilog, pino, structlog,
/// loguru, slog, logrus, klog, Rust, Quarkus, Gunicorn): the decisive line and what it names.
#[test]
fn decisive_lines_across_log_formats() {
    let cases: Vec<(&str, &str)> = vec![
        (
            "dotnet",
            "info: Microsoft.Hosting.Lifetime[0]\n      Now listening on: http://[::]:8080\nwarn: Microsoft.AspNetCore.DataProtection[35]\n      No XML encryptor configured.\nUnhandled exception. System.InvalidOperationException: An exception has been raised that is likely due to a transient failure.\n ---> Npgsql.NpgsqlException (0x80004005): Failed to connect to 10.96.44.12:5432\n ---> System.Net.Sockets.SocketException (111): Connection refused\n   at Npgsql.Internal.NpgsqlConnector.Connect(NpgsqlTimeout timeout)\n   --- End of inner exception stack trace ---\n   at Program.<Main>$(String[] args) in /src/Program.cs:line 42\n",
        ),
        (
            "mel-fail",
            "info: Orders.Worker[0]\n      Starting worker\nfail: Orders.Worker[0]\n      Could not resolve host: orders-db\nwarn: OpenTelemetry[0]\n      Exporter failed\n",
        ),
        (
            "serilog",
            "{\"@t\":\"2026-12-02T10:00:00Z\",\"@mt\":\"Starting up\"}\n{\"@t\":\"2026-12-02T10:00:01Z\",\"@l\":\"Warning\",\"@mt\":\"OTLP export failed\"}\n{\"@t\":\"2026-12-02T10:00:02Z\",\"@l\":\"Fatal\",\"@mt\":\"Host terminated unexpectedly\",\"@x\":\"StackExchange.Redis.RedisConnectionException: It was not possible to connect to the redis server(s). UnableToConnect on redis-cache:6379\"}\n",
        ),
        (
            "pino",
            "{\"level\":30,\"time\":1,\"msg\":\"server starting\"}\n{\"level\":40,\"time\":2,\"msg\":\"deprecated option\"}\n{\"level\":50,\"time\":3,\"msg\":\"failed to connect to mongo\",\"err\":{\"type\":\"MongoServerSelectionError\",\"message\":\"getaddrinfo ENOTFOUND mongo-primary\"}}\n{\"level\":30,\"time\":4,\"msg\":\"shutting down\"}\n",
        ),
        (
            "structlog",
            "{\"event\": \"app starting\", \"level\": \"info\"}\n{\"event\": \"cannot connect to broker\", \"level\": \"error\", \"host\": \"rabbitmq\", \"error\": \"[Errno -2] Name or service not known\"}\n",
        ),
        (
            "loguru",
            "2026-12-02 10:00:00.000 | INFO     | app.main:startup:12 - starting\n2026-12-02 10:00:01.000 | ERROR    | app.db:connect:40 - could not translate host name \"pg-main\" to address: Name or service not known\n2026-12-02 10:00:01.100 | INFO     | app.main:shutdown:50 - bye\n",
        ),
        (
            "slog",
            "time=2026-12-02T10:00:00Z level=INFO msg=\"starting\"\ntime=2026-12-02T10:00:01Z level=WARN msg=\"otel exporter failed\"\ntime=2026-12-02T10:00:02Z level=ERROR msg=\"cannot open store\" err=\"dial tcp: lookup etcd-client on 10.96.0.10:53: no such host\"\n",
        ),
        (
            "logrus",
            "time=\"2026-12-02T10:00:00Z\" level=info msg=starting\ntime=\"2026-12-02T10:00:01Z\" level=fatal msg=\"failed to load config\" error=\"open /etc/app/config.yaml: no such file or directory\"\n",
        ),
        (
            "klog",
            "I1202 10:00:00.000000       1 main.go:20] starting\nW1202 10:00:00.100000       1 client.go:10] deprecated flag\nF1202 10:00:01.000000       1 main.go:42] failed to get leader lease: leases.coordination.k8s.io \"ctrl\" is forbidden: User \"system:serviceaccount:ops:ctrl\" cannot get resource \"leases\"\n",
        ),
        (
            "rust-panic",
            "INFO starting\nthread 'main' panicked at src/main.rs:10:5:\ncalled `Result::unwrap()` on an `Err` value: Os { code: 111, kind: ConnectionRefused, message: \"Connection refused\" }\nnote: run with `RUST_BACKTRACE=1`\n",
        ),
        (
            "quarkus",
            "2026-12-02 10:00:00,000 INFO  [io.quarkus] (main) starting\n2026-12-02 10:00:01,000 ERROR [io.qu.ru.Application] (main) Failed to start application: java.lang.RuntimeException: Failed to start quarkus\n\tat io.quarkus.Foo(Foo.java:1)\nCaused by: io.vertx.core.VertxException: Connection refused: keycloak-db/10.96.3.4:5432\n\t... 12 more\n",
        ),
        (
            "gunicorn",
            "[2026-12-02 10:00:00 +0000] [1] [INFO] Starting gunicorn 21.2.0\n[2026-12-02 10:00:01 +0000] [7] [ERROR] Exception in worker process\nTraceback (most recent call last):\n  File \"/app/x.py\", line 1, in <module>\nredis.exceptions.ConnectionError: Error -2 connecting to cache-redis:6379. Name or service not known.\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\n  File \"/app/y.py\", line 2, in <module>\nRuntimeError: cache unavailable\n[2026-12-02 10:00:01 +0000] [7] [INFO] Worker exiting (pid: 7)\n[2026-12-02 10:00:02 +0000] [1] [ERROR] Worker failed to boot.\n",
        ),
    ];
    let want: Vec<(&str, &str, Option<Named>)> = vec![
        (
            "dotnet",
            "SocketException (111): Connection refused",
            Some(Named::Unreachable {
                host: "10.96.44.12".into(),
                port: Some(5432),
                refused: true,
            }),
        ),
        (
            "mel-fail",
            "Could not resolve host: orders-db",
            Some(Named::Unresolved {
                host: "orders-db".into(),
            }),
        ),
        (
            "serilog",
            "UnableToConnect on redis-cache:6379",
            Some(Named::Unreachable {
                host: "redis-cache".into(),
                port: Some(6379),
                refused: false,
            }),
        ),
        (
            "pino",
            "ENOTFOUND mongo-primary",
            Some(Named::Unresolved {
                host: "mongo-primary".into(),
            }),
        ),
        ("structlog", "Name or service not known", None),
        (
            "loguru",
            "could not translate host name \"pg-main\"",
            Some(Named::Unresolved {
                host: "pg-main".into(),
            }),
        ),
        (
            "slog",
            "lookup etcd-client",
            Some(Named::Unresolved {
                host: "etcd-client".into(),
            }),
        ),
        (
            "logrus",
            "failed to load config",
            Some(Named::File {
                path: "/etc/app/config.yaml".into(),
            }),
        ),
        (
            "klog",
            "failed to get leader lease",
            Some(Named::Forbidden {
                user: "system:serviceaccount:ops:ctrl".into(),
                verb: "get".into(),
                resource: "leases".into(),
                namespace: None,
            }),
        ),
        ("rust-panic", "ConnectionRefused", None),
        (
            "quarkus",
            "Connection refused: keycloak-db/10.96.3.4:5432",
            Some(Named::Unreachable {
                host: "keycloak-db".into(),
                port: Some(5432),
                refused: true,
            }),
        ),
        (
            "gunicorn",
            "RuntimeError: cache unavailable",
            Some(Named::Unresolved {
                host: "cache-redis".into(),
            }),
        ),
    ];
    assert_eq!(cases.len(), want.len());
    for ((name, log), (wname, line, named)) in cases.iter().zip(want) {
        assert_eq!(*name, wname);
        let x = d(log);
        assert!(x.line.contains(line), "{name}: {x:?}");
        if let Some(n) = named {
            assert_eq!(x.names.first(), Some(&n), "{name}: {x:?}");
        }
        // a warning retried on the side, or the shutdown noise after the error, is never it
        assert!(
            !x.line.contains("OTLP") && !x.line.contains("shutting down"),
            "{name}: {x:?}"
        );
    }
}

#[test]
fn rejected_credentials_mean_the_host_answered() {
    for line in [
        "FATAL cannot connect to orders-db:5432: password authentication failed for user \"shop\"",
        "Error: failed to connect to mysql:3306: Access denied for user 'app'@'10.0.0.4'",
        "redis-cache:6379: WRONGPASS invalid username-password pair",
    ] {
        let n = names_in(line);
        assert!(
            n.iter().any(|n| matches!(n, Named::AuthFailed { .. })),
            "{line}: {n:?}"
        );
        assert!(
            !n.iter().any(|n| matches!(n, Named::Unreachable { .. })),
            "{line}: {n:?}"
        );
    }
    // The connection itself failing is still about reaching the host.
    let n = names_in(
        "dial tcp orders-db:5432: connect: connection refused (authentication failed before)",
    );
    assert!(
        n.iter()
            .any(|n| matches!(n, Named::Unreachable { host, .. } if host == "orders-db")),
        "{n:?}"
    );
}

#[test]
fn anyhow_single_cause_is_not_numbered_and_the_outer_error_names_the_file() {
    let log = r#"{"timestamp":"2024-05-14T09:12:03.421577Z","level":"ERROR","fields":{"message":"failed to fetch JWKS, will retry in 5s","url":"https://login.example.net/.well-known/jwks.json","error":"operation timed out"}}
Error: reading route table /etc/edge/routes.yaml

Caused by:
    Is a directory (os error 21)
"#;
    let d = super::decisive(log).expect("decisive");
    assert_eq!(
        d.names.first(),
        Some(&super::Named::File {
            path: "/etc/edge/routes.yaml".into()
        }),
        "{d:?}"
    );
    assert!(d.line.contains("Is a directory"), "{}", d.line);
}

#[test]
fn an_error_of_its_own_does_not_borrow_an_earlier_unrelated_host() {
    let log = r#"[14-May-2024 14:05:21] WARNING: [pool www] child 17 said into stderr: "[2024-05-14 14:05:21] production.ERROR: cURL error 28: Operation timed out after 5001 milliseconds for https://rates.example.org/latest?base=EUR"
[14-May-2024 14:05:30] WARNING: [pool www] child 18 said into stderr: "[2024-05-14 14:05:30] production.ERROR: No application encryption key has been specified. {"exception":"[object] (Illuminate\\Encryption\\MissingAppKeyException(code: 0): No application encryption key has been specified."
"#;
    let d = super::decisive(log).expect("decisive");
    assert!(d.line.contains("encryption key"), "{d:?}");
    assert!(d.names.is_empty(), "{d:?}");
}

#[test]
fn celery_broker_host_from_the_lines_before() {
    let log = include_str!(
        "../../../tests/fixtures/scenarios/wild2-celery-rabbitmq-other-ns/logs/wild2-fulfil/fulfilment-worker-6d8f7c9b54-bnh95/worker.previous.log"
    );
    let d = super::decisive(log).expect("decisive");
    assert!(
        matches!(d.names.first(), Some(Named::Unresolved { host }) if host == "rabbitmq.wild2-mq.svc.cluster.local"),
        "{d:?}"
    );
}

#[test]
fn a_ruby_backtrace_position_is_not_a_host() {
    let log = "E, [2024-05-14T03:01:19.970000 #1] ERROR -- : rotation aborted: Kubeclient::HttpError: secrets is forbidden: User \"system:serviceaccount:ops:rotator\" cannot list resource \"secrets\" in API group \"\" in the namespace \"ops\"\n/gems/rest-client-2.1.0/lib/restclient/abstract_response.rb:249:in `exception_with_response': 403 Forbidden (RestClient::Forbidden)\n\tfrom /app/bin/rotate:18:in `<main>'\n";
    let d = super::decisive(log).expect("decisive");
    assert!(
        d.names
            .iter()
            .all(|n| !matches!(n, Named::Unreachable { .. })),
        "{d:?}"
    );
}

#[test]
fn serilog_templates_are_filled_and_the_exception_names_the_refusal() {
    let log = r#"{"@t":"2026-01-01T09:30:02.1Z","@mt":"Now listening on: {address}","address":"http://[::]:8080"}
{"@t":"2026-01-01T09:30:08.7Z","@mt":"Watch failed, giving up after {MaxAttempts} attempts","@l":"Error","MaxAttempts":3,"@x":"k8s.Autorest.HttpOperationException: Operation returned an invalid status code 'Forbidden', response body {\"kind\":\"Status\",\"message\":\"configmaps is forbidden: User \\\"system:serviceaccount:flags:flag-service\\\" cannot watch resource \\\"configmaps\\\" in API group \\\"\\\" in the namespace \\\"flags\\\"\",\"reason\":\"Forbidden\",\"code\":403}\n   at k8s.Kubernetes.SendRequestRaw(String requestContent)\n   at Acme.Flags.Watch()"}
{"@t":"2026-01-01T09:30:08.8Z","@mt":"{Application} stopped because a background service failed; exit code {ExitCode}","@l":"Fatal","Application":"Acme.Flags","ExitCode":1}
"#;
    let x = d(log);
    assert_eq!(
        x.line,
        "Acme.Flags stopped because a background service failed; exit code 1"
    );
    assert_eq!(
        x.names,
        vec![Named::Forbidden {
            user: "system:serviceaccount:flags:flag-service".into(),
            verb: "watch".into(),
            resource: "configmaps".into(),
            namespace: Some("flags".into()),
        }]
    );
    // The stack frames of the exception are not quoted.
    assert!(
        !x.context
            .as_deref()
            .unwrap_or("")
            .contains("SendRequestRaw"),
        "{x:?}"
    );
}

#[test]
fn a_template_hole_without_a_property_stays() {
    let obj = serde_json::json!({"N": 2, "who": "api"});
    let m = obj.as_object().unwrap();
    assert_eq!(
        render_template("{who} failed {N:000} times, {Missing}", m),
        "api failed 2 times, {Missing}"
    );
}

#[test]
fn perl_compile_errors_point_at_the_missing_module() {
    let log = "perl: warning: Setting locale failed.\n\
perl: warning: Falling back to the standard locale (\"C\").\n\
Can't locate Text/CSV_XS.pm in @INC (you may need to install the Text::CSV_XS module) (@INC entries checked: /app/lib /usr/local/lib/perl5) at /app/lib/Recon/Parser.pm line 9.\n\
BEGIN failed--compilation aborted at /app/lib/Recon/Parser.pm line 9.\n\
Compilation failed in require at /app/bin/recon.pl line 14.\n\
BEGIN failed--compilation aborted at /app/bin/recon.pl line 14.\n\
[run] recon.pl exited with status 2\n";
    let x = d(log);
    assert_eq!(x.rule, "perl");
    assert!(x.line.starts_with("Can't locate Text/CSV_XS.pm"), "{x:?}");
    assert!(!x.line.contains("/usr/local/lib/perl5"), "{x:?}");
    // The locale warnings before it are not what was being done.
    assert!(x.context.is_none(), "{x:?}");
}

#[test]
fn go_resolver_timeouts_name_the_host_not_the_dns_server() {
    let x = d(
        r#"{"time":"2026-12-03T10:42:41Z","level":"ERROR","msg":"startup failed","err":"connect to database: hostname resolving error: lookup postgis.geo.svc.cluster.local on 10.96.0.10:53: read udp 10.244.1.61:51718->10.96.0.10:53: i/o timeout"}"#,
    );
    assert_eq!(
        x.names.first(),
        Some(&Named::Unresolved {
            host: "postgis.geo.svc.cluster.local".into()
        }),
        "{x:?}"
    );
}

#[test]
fn a_wrapping_failure_borrows_the_host_a_warning_could_not_resolve() {
    let log = "2026-12-03 10:34:42,785 WARN  [org.apa.kaf.cli.ClientUtils] (main) Couldn't resolve server kafka-bootstrap.streaming.svc.cluster.local:9092 from bootstrap.servers as DNS resolution failed for kafka-bootstrap.streaming.svc.cluster.local\n\
2026-12-03 10:34:42,986 ERROR [io.qua.run.Application] (main) Failed to start application: org.apache.kafka.common.config.ConfigException: No resolvable bootstrap urls given in bootstrap.servers\n\
\tat org.apache.kafka.clients.ClientUtils.parseAndValidateAddresses(ClientUtils.java:89)\n\
Caused by: org.apache.kafka.common.KafkaException: Failed to construct kafka consumer\n";
    let x = d(log);
    assert_eq!(
        x.names.first(),
        Some(&Named::Unresolved {
            host: "kafka-bootstrap.streaming.svc.cluster.local".into()
        }),
        "{x:?}"
    );
}

#[test]
fn a_line_naming_the_url_of_a_host_refused_earlier_borrows_it() {
    let log = r#"Traceback (most recent call last):
  File "/x/connection.py", line 198, in _new_conn
ConnectionRefusedError: [Errno 111] Connection refused

The above exception was the direct cause of the following exception:

urllib3.exceptions.MaxRetryError: HTTPConnectionPool(host='pricing-rules', port=4000): Max retries exceeded with url: /api/v1/rulesets/current (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f>: Failed to establish a new connection: [Errno 111] Connection refused'))

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/app/quote_web/pricing.py", line 88, in load_current_ruleset
    raise RulesetUnavailable(f"cannot start without a pricing ruleset from {base_url}") from exc
quote_web.pricing.RulesetUnavailable: cannot start without a pricing ruleset from http://pricing-rules:4000
[2026-12-03 15:36:32 +0000] [8] [INFO] Worker exiting (pid: 8)
"#;
    let x = d(log);
    assert!(x.line.contains("RulesetUnavailable"), "{x:?}");
    assert!(
        x.names
            .iter()
            .any(|n| matches!(n, Named::Unreachable { host, .. } if host == "pricing-rules")),
        "{x:?}"
    );
}

#[test]
fn an_init_loop_naming_a_bare_host_port_waits_for_it() {
    let log = "[wait-for-temporal] waiting for temporal-frontend:7233\n\
[wait-for-temporal] 15:43:17 temporal-frontend:7233 not reachable (attempt 83), retrying in 30s\n\
[wait-for-temporal] 15:43:47 temporal-frontend:7233 not reachable (attempt 84), retrying in 30s\n";
    assert_eq!(
        waited_for(log),
        Some(Named::Unreachable {
            host: "temporal-frontend".into(),
            port: Some(7233),
            refused: false
        })
    );
}

#[test]
fn a_storage_denial_names_the_bucket_being_written() {
    let log = "[INFO] 2026-12-03 04:36:51.261 feed_export: bucket=gs://acme-feeds prefix=feeds/\n\
[INFO] 2026-12-03 04:38:10.209 gcs: uploading feeds/google.xml.gz (8.9 MB) to acme-feeds\n\
Unhandled exception:\n\
DetailedApiRequestError(status: 403, message: exporter@x.iam.gserviceaccount.com does not have storage.objects.create access to the Google Cloud Storage object.)\n\
#0      ApiRequester.request (package:_discoveryapis_commons/src/api_requester.dart:66:7)\n\
<asynchronous suspension>\n";
    let x = d(log);
    assert!(x.line.contains("403"), "{x:?}");
    assert!(
        x.context
            .as_deref()
            .is_some_and(|c| c.contains("acme-feeds")),
        "{x:?}"
    );
}

#[test]
fn a_running_front_end_names_the_backend_it_keeps_failing_to_reach() {
    let log = r#"{"asctime": "2026-12-03 09:40:01,000", "levelname": "INFO", "name": "aiohttp.access", "message": "GET /healthz 200"}
{"asctime": "2026-12-03 09:41:02,100", "levelname": "WARNING", "name": "crm.orders", "message": "slow call to orders-api:8080, retrying"}
{"asctime": "2026-12-03 09:45:43,384", "levelname": "ERROR", "name": "crm.widgets.loyalty", "message": "loyalty balance unavailable", "exc_info": "aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host loyalty-points.rewards.svc.cluster.local:80 ssl:default [Connect call failed ('10.96.252.71', 80)]"}
{"asctime": "2026-12-03 09:45:43,897", "levelname": "INFO", "name": "aiohttp.access", "message": "GET /customers/1/widgets/loyalty 200"}
{"asctime": "2026-12-03 09:47:49,023", "levelname": "ERROR", "name": "crm.widgets.loyalty", "message": "loyalty balance unavailable", "exc_info": "aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host loyalty-points.rewards.svc.cluster.local:80 ssl:default [Connect call failed ('10.96.252.71', 80)]"}
"#;
    let dep = failing_dependency(log).expect("a dependency");
    assert_eq!(dep.count, 2, "{dep:?}");
    assert!(
        matches!(&dep.named, Named::Unreachable { host, port: Some(80), .. } if host == "loyalty-points.rewards.svc.cluster.local"),
        "{dep:?}"
    );
    // One blip is noise.
    let once: String = log.lines().take(3).collect::<Vec<_>>().join("\n");
    assert_eq!(failing_dependency(&once), None);
}

#[test]
fn a_python_traceback_in_a_json_field_gives_its_last_line() {
    let log = r#"{"levelname": "ERROR", "message": "sync failed", "exc_info": "Traceback (most recent call last):\n  File \"/app/sync.py\", line 3, in run\n    r = session.get(url)\nredis.exceptions.ConnectionError: Error 111 connecting to cache:6379. Connection refused."}"#;
    let x = d(log);
    assert!(x.line.contains("redis.exceptions.ConnectionError"), "{x:?}");
    assert!(
        x.names
            .iter()
            .any(|n| matches!(n, Named::Unreachable { host, .. } if host == "cache")),
        "{x:?}"
    );
}

#[test]
fn a_ruby_exception_is_quoted_without_the_frame_that_raised_it() {
    let log = "I, [2026-12-03T08:01:00] INFO -- : migrating\n\
/usr/local/bundle/gems/pg-1.5.6/lib/pg/connection.rb:701:in `async_connect_or_reset': connection to server at \"10.96.3.4\", port 5432 failed: FATAL:  database \"loyalty_prod\" does not exist (PG::ConnectionBad)\n\
\tfrom /usr/local/bundle/gems/sequel-5.75.0/lib/sequel/adapters/postgres.rb:208:in `connect'\n";
    let x = d(log);
    assert!(x.line.starts_with("connection to server at"), "{x:?}");
}

#[test]
fn an_error_the_application_carries_on_past_is_not_the_cause() {
    let x = d("2024-05-14T10:30:01Z w INFO [app.db:30] - pool ready
2024-05-14T10:30:01Z w ERROR [app.metrics:44] - Failed to register JMX reporter, continuing without JMX metrics
javax.management.InstanceAlreadyExistsException: metrics:name=jvm.memory.heap
\tat java.management/com.sun.jmx.mbeanserver.Repository.addMBean(Repository.java:436)
2024-05-14T10:30:01Z w INFO [integrant.core:0] - initialising :app.kafka/consumer
Execution error (ExceptionInfo) at app.config/require-env! (config.clj:22).
Missing required environment variable: KAFKA_BROKERS

Full report at:
/tmp/clojure-1.edn");
    assert_eq!(
        x.line,
        "Missing required environment variable: KAFKA_BROKERS"
    );
    let x = d("2024/05/14 12:40:10 tls.go:33: ERROR: could not load optional CA bundle /etc/ssl/extra.pem: no such file or directory (continuing with system roots)
2024/05/14 12:40:10 vault.go:77: WARN: vault request failed, retrying in 1s (attempt 1/3)
2024/05/14 12:40:17 main.go:112: failed to connect to vault: tls: failed to verify certificate: x509: certificate has expired or is not yet valid");
    assert!(
        x.line.contains("x509: certificate has expired"),
        "{}",
        x.line
    );
    // Only side errors: the second pass still names one.
    let x = d("INFO start\nERROR exporter otel-collector:4317 unreachable, continuing");
    assert!(x.line.contains("otel-collector"));
}

#[test]
fn a_warning_that_mentions_errors_is_a_warning() {
    let x = d("[2024-05-14 15:20:01][api][Warning][main:Config src/Config.hs:40:5] SENTRY_DSN not set; error reporting disabled
[2024-05-14 15:20:01][api][Info][main:Settings src/Settings.hs:77:3] Loading settings from /etc/api/settings.yaml
api: InvalidYaml (Just (YamlParseException {yamlProblem = \"mapping values are not allowed in this context\"}))
CallStack (from HasCallStack):
  throwIO, called at src/Data/Yaml/Internal.hs:398:17 in yaml-0.11");
    assert!(
        x.line.contains("mapping values are not allowed"),
        "{}",
        x.line
    );
}

#[test]
fn a_last_line_that_only_gives_up_yields_to_the_error_before_it() {
    let x = d("2024-05-14T16:20:02.119877Z 0 [ERROR] [MY-010187] [Server] Could not open file '/var/log/mysql/slow.log' for error logging: No such file or directory
2024-05-14T16:20:02.130210Z 0 [ERROR] [MY-013276] [Server] Failed to set datadir to '/var/lib/mysql/' (OS errno: 13 - Permission denied)
2024-05-14T16:20:02.130301Z 0 [ERROR] [MY-010119] [Server] Aborting
2024-05-14T16:20:02.132990Z 0 [System] [MY-010910] [Server] /usr/sbin/mysqld: Shutdown complete");
    assert!(x.line.contains("Failed to set datadir"), "{}", x.line);
    let x = d("1:M 14 May 2024 16:30:01.003 # Server initialized
1:M 14 May 2024 16:30:01.004 # Can't handle RDB format version 12
1:M 14 May 2024 16:30:01.004 # Fatal error loading the DB: Invalid argument. Exiting.");
    assert!(x.line.contains("RDB format version 12"), "{}", x.line);
    let x = d("LOG:  redo starts at 3/A1F2C0D8
FATAL:  the database system is starting up
PANIC:  could not write to file \"pg_wal/xlogtemp.27\": No space left on device
LOG:  checkpointer process (PID 27) was terminated by signal 6: Aborted
FATAL:  the database system is in recovery mode
LOG:  database system is shut down");
    assert!(x.line.contains("No space left on device"), "{}", x.line);
}

#[test]
fn flags_dies_and_terminations_of_other_runtimes() {
    let x = d(
        "[entrypoint] ERROR: no extra sources in /etc/syncer/extra.d, skipping
2024/05/14 13:10:00 maxprocs: Leaving GOMAXPROCS=8: CPU quota undefined
flag provided but not defined: -metrics-addr
Usage of /usr/local/bin/syncer:
  -config string
    \tpath to config file
  -log-level string
    \tlog level: debug, info, warn, error (default \"info\")",
    );
    assert_eq!(x.line, "flag provided but not defined: -metrics-addr");
    let x = d("[2024-05-14 15:10:01] [error] heartbeat to statsd.monitoring:8125 failed: Connection refused
[2024-05-14 15:10:41] [warn] database connect attempt 3/3 failed, giving up
DBI connect('database=reports;host=mysql-legacy.db.svc;port=3306','reporter',...) failed: Can't connect to MySQL server on 'mysql-legacy.db.svc' (110) at /opt/app/lib/DB.pm line 42.
\tReports::DB::connect(\"Reports::DB\") called at /opt/app/bin/worker line 19
Could not connect to reporting database, aborting at /opt/app/bin/worker line 61.");
    assert!(
        x.line.contains("Can't connect to MySQL server"),
        "{}",
        x.line
    );
    let x = d("[2024-05-14 15:40:00.120] [error] failed to set CPU affinity for thread 'feed-0' to core 3: Invalid argument
terminate called after throwing an instance of 'engine::LicenseError'
  what():  license validation failed: feature 'l2' not enabled in license /opt/engine/engine.lic
/entrypoint.sh: line 23:     7 Aborted                 (core dumped) /opt/engine/bin/engine");
    assert!(x.line.contains("not enabled in license"), "{}", x.line);
    let x = d("[2024-05-14 14:10:02] production.ERROR: cURL error 28: Connection timed out after 5001 milliseconds for https://api.rates.example/latest
[entrypoint] php artisan migrate --force

   Illuminate\\Database\\QueryException 

  SQLSTATE[HY000] [1045] Access denied for user 'shop'@'10.244.2.31' (using password: YES)

  at vendor/laravel/framework/src/Illuminate/Database/Connection.php:813
[entrypoint] migrations failed, exiting with status 1");
    assert!(
        x.line.contains("Access denied for user 'shop'"),
        "{}",
        x.line
    );
}

#[test]
fn a_term_that_quotes_an_earlier_error_yields_to_it() {
    // Erlang: the boot failure wraps the error an earlier line said in its own words.
    let x = d("2024-05-14 15:00:00.702 [error] Failed to read enabled plugins file /etc/rabbitmq/enabled_plugins.d/99-extra: enoent (ignored)
2024-05-14 15:00:00.901 [error] Cookie file /var/lib/rabbitmq/.erlang.cookie must be accessible by owner only
2024-05-14 15:00:00.903 [error] CRASH REPORT Process <0.52.0> exited with reason: {\"Cookie file /var/lib/rabbitmq/.erlang.cookie must be accessible by owner only\",[{auth,init_cookie,0}]}

BOOT FAILED
===========
error:{badmatch,{error,{{shutdown,{failed_to_start_child,auth,{\"Cookie file /var/lib/rabbitmq/.erlang.cookie must be accessible by owner only\",[{auth,init_cookie,0}]}}}}}}
");
    assert!(x.line.contains("[error] Cookie file"), "{}", x.line);
    assert!(
        x.names.iter().any(
            |n| matches!(n, Named::File { path } if path == "/var/lib/rabbitmq/.erlang.cookie")
        ),
        "{:?}",
        x.names
    );
    // A quoted message no earlier line says is kept where it is.
    let x =
        d("INFO starting\nERROR worker exited: reason \"license server did not answer in time\"\n");
    assert!(x.line.contains("worker exited"), "{}", x.line);
}

#[test]
fn ruby_prints_the_cause_on_the_next_line() {
    let x = d("bin/rails aborted!
ActiveRecord::ConnectionNotEstablished: could not translate host name \"postgres.payments-db.svc.cluster.local\" to address: Name or service not known (ActiveRecord::ConnectionNotEstablished)
/usr/local/bundle/gems/activerecord-7.1.3/lib/active_record/connection_adapters/postgresql_adapter.rb:56:in `rescue in new_client'

Caused by:
PG::ConnectionBad: could not translate host name \"postgres.payments-db.svc.cluster.local\" to address: Name or service not known (PG::ConnectionBad)
/usr/local/bundle/gems/pg-1.5.6/lib/pg/connection.rb:701:in `async_connect_or_reset'
bin/rails:4:in `<main>'
Tasks: TOP => db:prepare
(See full trace by running task with --trace)
");
    assert!(
        x.line
            .contains("PG::ConnectionBad: could not translate host name"),
        "{}",
        x.line
    );
    assert!(
        x.names.iter().any(
            |n| matches!(n, Named::Unresolved { host } if host.starts_with("postgres.payments-db"))
        ),
        "{:?}",
        x.names
    );
}

#[test]
fn timeouts_that_name_no_host_count_for_the_one_host_that_times_out() {
    let log = r#"{"level":50,"msg":"inventory.ReserveStock failed","err":{"message":"4 DEADLINE_EXCEEDED: Deadline exceeded after 1.503s,waiting for LB pick"}}
{"level":30,"msg":"request completed","res":{"statusCode":503}}
{"level":50,"msg":"inventory.ReserveStock failed","err":{"message":"4 DEADLINE_EXCEEDED: Deadline exceeded after 1.501s,waiting for LB pick"}}
{"level":50,"msg":"inventory.ReserveStock failed","err":{"message":"14 UNAVAILABLE: No connection established. Last error: connect ETIMEDOUT 10.96.118.47:50051"}}
"#;
    let dep = failing_dependency(log).expect("a dependency");
    assert_eq!(dep.count, 3, "{dep:?}");
    assert!(
        matches!(&dep.named, Named::Unreachable { host, port: Some(50051), .. } if host == "10.96.118.47"),
        "{dep:?}"
    );
    // A refusal is another failure than a timeout: timeouts that name nothing are not its.
    let refused = log.replace("connect ETIMEDOUT", "connect ECONNREFUSED");
    let refused = refused.replace(
        "14 UNAVAILABLE: No connection established. Last error: ",
        "",
    );
    assert_eq!(failing_dependency(&refused), None);
}

#[test]
fn a_client_exception_is_explained_by_the_status_body_after_it() {
    let log = r#"Traceback (most recent call last):
  File "/app/reaper.py", line 88, in main
    apps.patch_namespaced_deployment_scale(name, ns, body)
kubernetes.client.exceptions.ApiException: (403)
Reason: Forbidden
HTTP response headers: HTTPHeaderDict({'Content-Type': 'application/json'})
HTTP response body: {"kind":"Status","message":"deployments.apps \"pr-1-api\" is forbidden: User \"system:serviceaccount:ops:reaper\" cannot patch resource \"deployments/scale\" in API group \"apps\" in the namespace \"previews\"","reason":"Forbidden","code":403}
"#;
    let x = d(log);
    assert!(x.line.contains("ApiException: (403)"), "{x:?}");
    assert!(
        matches!(&x.names[..], [Named::Forbidden { user, verb, .. }] if user == "system:serviceaccount:ops:reaper" && verb == "patch"),
        "{x:?}"
    );
}
