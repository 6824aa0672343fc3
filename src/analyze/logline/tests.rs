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
            resource: "secrets".into()
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
