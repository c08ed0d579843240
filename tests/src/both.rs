//! Runs one async scenario on every backend: `on_both_backends!(scenario_a, scenario_b);`
//! expands to `sqlite::scenario_a`, `postgres::scenario_a`, … test functions.

/// Declares a `#[tokio::test]` per backend for each named `async fn(Backend)` scenario.
#[macro_export]
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario($crate::app::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario($crate::app::Backend::Postgres).await;
                }
            )*
        }
    };
}
