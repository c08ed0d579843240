//! The bare actix-web server the ingest benchmark measures chatrail against: every `POST`,
//! whatever its path, has its body read and is answered `204`; anything else `404`. No
//! middleware, no logging: what the HTTP stack alone costs on this machine.
//!
//! `barepost --listen 127.0.0.1:PORT --workers N`

use actix_web::http::Method;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

async fn answer(req: HttpRequest, _body: web::Bytes) -> HttpResponse {
    if req.method() == Method::POST {
        HttpResponse::NoContent().finish()
    } else {
        HttpResponse::NotFound().finish()
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let (mut listen, mut workers) = ("127.0.0.1:8081".to_owned(), 0usize);
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        match (pair[0].as_str(), pair.get(1)) {
            ("--listen", Some(v)) => listen.clone_from(v),
            ("--workers", Some(v)) => workers = v.parse().unwrap_or(0),
            _ => {
                eprintln!("usage: barepost [--listen ADDR] [--workers N (0: one per core)]");
                std::process::exit(2);
            }
        }
    }
    let mut server = HttpServer::new(|| App::new().default_service(web::to(answer)));
    if workers > 0 {
        server = server.workers(workers);
    }
    server.bind(&listen)?.run().await
}
