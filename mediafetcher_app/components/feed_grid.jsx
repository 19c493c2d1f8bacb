// The feed's masonry: fetches pages straight from /api/v1/media (keyset cursor), so each page
// costs one page of JSON plus its thumbnails, whatever is already on screen. Items go to the
// shortest column, so appending a page never moves what the user is looking at.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";

const PAGE = 60;
const GAP = 12;

function formatDuration(seconds) {
  if (seconds == null) return "";
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return (h ? `${h}:` : "") + `${mm}:${String(s).padStart(2, "0")}`;
}

const KIND_ICON = { video: "▶", audio: "♪", image: "▣" };

// "youtube · Some Channel · 2024-05-17": where it came from, who posted it and when.
function byline(item) {
  return [item.platform_label || item.platform, item.uploader, item.posted_at].filter(Boolean).join(" · ");
}

function Card({ item, selecting, selected, onOpen, onToggle }) {
  const ratio = item.width && item.height ? item.height / item.width : item.kind === "audio" ? 1 : 0.5625;
  const click = () => (selecting ? onToggle(item.id) : onOpen(item.id));
  return (
    <button
      type="button"
      className="mf-card"
      data-media-id={item.id}
      data-kind={item.kind}
      aria-pressed={selecting ? selected : undefined}
      aria-label={`${item.title} (${item.kind}${item.platform ? ", " + item.platform_label : ""})`}
      onClick={click}
      style={{
        all: "unset", boxSizing: "border-box", display: "block", width: "100%", cursor: "pointer",
        marginBottom: GAP, borderRadius: 12, overflow: "hidden", background: "var(--gray-3)",
        outline: selected ? "3px solid var(--accent-9)" : "none", position: "relative",
      }}
    >
      <div style={{ position: "relative", width: "100%", paddingTop: `${Math.min(ratio, 1.8) * 100}%` }}>
        {item.has_thumb ? (
          <img
            src={`/thumbs/${item.id}`}
            alt=""
            loading="lazy"
            decoding="async"
            style={{ position: "absolute", inset: 0, width: "100%", height: "100%", objectFit: "cover" }}
          />
        ) : (
          <div style={{ position: "absolute", inset: 0, display: "grid", placeItems: "center",
                        fontSize: 36, color: "var(--gray-9)" }}>{KIND_ICON[item.kind]}</div>
        )}
        <span style={{ position: "absolute", left: 8, top: 8, padding: "2px 8px", borderRadius: 999, fontSize: 11,
                       background: "rgba(0,0,0,.55)", color: "white", textTransform: "capitalize" }}>
          {KIND_ICON[item.kind]} {item.kind}
        </span>
        {item.duration_s != null && (
          <span style={{ position: "absolute", right: 8, bottom: 8, padding: "1px 6px", borderRadius: 6,
                         fontSize: 11, background: "rgba(0,0,0,.7)", color: "white" }}>
            {formatDuration(item.duration_s)}
          </span>
        )}
        {selecting && (
          <span style={{ position: "absolute", right: 8, top: 8, width: 22, height: 22, borderRadius: 999,
                         display: "grid", placeItems: "center", fontSize: 14, color: "white",
                         background: selected ? "var(--accent-9)" : "rgba(0,0,0,.35)",
                         border: "2px solid white" }}>{selected ? "✓" : ""}</span>
        )}
      </div>
      <div style={{ padding: "8px 10px 10px" }}>
        <div style={{ fontSize: 13, fontWeight: 600, lineHeight: 1.3, color: "var(--gray-12)",
                      display: "-webkit-box", WebkitLineClamp: 2, WebkitBoxOrient: "vertical", overflow: "hidden" }}>
          {item.title}
        </div>
        {byline(item) && (
          <div className="mf-card-byline mf-card-platform" style={{ display: "flex", alignItems: "center", gap: 4,
                                                                    fontSize: 11, color: "var(--gray-10)", marginTop: 2 }}>
            {item.platform_icon && <img src={item.platform_icon} alt="" width={12} height={12} />}
            <span style={{ overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}>{byline(item)}</span>
          </div>
        )}
      </div>
    </button>
  );
}

function useColumnCount(ref) {
  const [count, setCount] = useState(2);
  useEffect(() => {
    if (!ref.current) return undefined;
    const observer = new ResizeObserver(([entry]) => {
      const width = entry.contentRect.width;
      setCount(Math.max(2, Math.min(6, Math.floor((width + GAP) / (width < 560 ? 160 : 230)))));
    });
    observer.observe(ref.current);
    return () => observer.disconnect();
  }, [ref]);
  return count;
}

function Skeleton() {
  return (
    <div aria-busy="true" aria-label="Loading" style={{ display: "grid", gap: GAP,
         gridTemplateColumns: "repeat(auto-fill, minmax(150px, 1fr))" }}>
      {Array.from({ length: 8 }, (_, i) => (
        <div key={i} style={{ height: 140 + (i % 3) * 50, borderRadius: 12, background: "var(--gray-3)" }} />
      ))}
    </div>
  );
}

export function FeedGrid({ query = "", refreshKey = 0, selecting = false, selected = [], onOpen, onToggle,
                           emptyTitle = "Nothing here yet", emptyHint = "" }) {
  const [items, setItems] = useState([]);
  const [next, setNext] = useState(null);
  const [status, setStatus] = useState("loading");
  const [error, setError] = useState("");
  const box = useRef(null);
  const sentinel = useRef(null);
  const inFlight = useRef(null);
  const columns = useColumnCount(box);
  const chosen = useMemo(() => new Set(selected || []), [selected]);

  const load = useCallback((cursor) => {
    if (inFlight.current) inFlight.current.abort();
    const controller = new AbortController();
    inFlight.current = controller;
    const params = new URLSearchParams(query);
    params.set("limit", String(PAGE));
    if (cursor) params.set("before", cursor);
    setStatus(cursor ? "more" : "loading");
    fetch(`/api/v1/media?${params}`, { credentials: "same-origin", signal: controller.signal })
      .then(async (response) => {
        const body = await response.json();
        if (!response.ok) throw new Error(body?.error?.message || `The server answered ${response.status}.`);
        return body;
      })
      .then((page) => {
        setItems((old) => (cursor ? old.concat(page.items) : page.items));
        setNext(page.next);
        setStatus("idle");
        setError("");
      })
      .catch((err) => {
        if (err.name === "AbortError") return;
        setError(err.message || "Could not load the feed.");
        setStatus("error");
      });
  }, [query]);

  useEffect(() => {
    setItems([]);
    setNext(null);
    load(null);
    return () => inFlight.current && inFlight.current.abort();
  }, [query, refreshKey, load]);

  useEffect(() => {
    if (!sentinel.current || !next || status !== "idle") return undefined;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) load(next);
    }, { rootMargin: "800px 0px" });
    observer.observe(sentinel.current);
    return () => observer.disconnect();
  }, [next, status, load]);

  const laidOut = useMemo(() => {
    const cols = Array.from({ length: columns }, () => ({ height: 0, items: [] }));
    for (const item of items) {
      const ratio = item.width && item.height ? item.height / item.width : 0.75;
      const target = cols.reduce((low, col) => (col.height < low.height ? col : low), cols[0]);
      target.items.push(item);
      target.height += Math.min(ratio, 1.8) + 0.25;
    }
    return cols;
  }, [items, columns]);

  return (
    <div ref={box} className="mf-feed" data-status={status} data-count={items.length} style={{ width: "100%" }}>
      {status === "loading" && items.length === 0 && <Skeleton />}
      {status === "error" && (
        <div role="alert" style={{ padding: 16, borderRadius: 12, background: "var(--red-3)", color: "var(--red-11)" }}>
          {error} <button type="button" onClick={() => load(null)} style={{ marginLeft: 8 }}>Try again</button>
        </div>
      )}
      {status === "idle" && items.length === 0 && (
        <div className="mf-empty" style={{ padding: "4em 1em", textAlign: "center", borderRadius: 16,
                                           border: "1px dashed var(--gray-6)", color: "var(--gray-11)" }}>
          <div style={{ fontSize: 40 }}>🖼</div>
          <div style={{ fontWeight: 700, fontSize: 18, margin: "8px 0", color: "var(--gray-12)" }}>{emptyTitle}</div>
          <div>{emptyHint}</div>
        </div>
      )}
      <div style={{ display: "flex", gap: GAP, alignItems: "flex-start" }}>
        {laidOut.map((col, index) => (
          <div key={index} style={{ flex: 1, minWidth: 0 }}>
            {col.items.map((item) => (
              <Card key={item.id} item={item} selecting={selecting} selected={chosen.has(item.id)}
                    onOpen={(id) => onOpen && onOpen(id)} onToggle={(id) => onToggle && onToggle(id)} />
            ))}
          </div>
        ))}
      </div>
      <div ref={sentinel} style={{ height: 1 }} />
      {status === "more" && <div style={{ textAlign: "center", padding: 16, color: "var(--gray-10)" }}>Loading more…</div>}
      {status === "idle" && !next && items.length > 0 && (
        <div style={{ textAlign: "center", padding: 16, color: "var(--gray-9)", fontSize: 13 }}>That's everything.</div>
      )}
    </div>
  );
}

// Arrow keys step through the feed while the viewer is open (the dialog itself takes no key events).
export function ArrowKeys({ active = false, onPrevious, onNext }) {
  useEffect(() => {
    if (!active) return undefined;
    const onKey = (event) => {
      if (event.target && ["INPUT", "TEXTAREA"].includes(event.target.tagName)) return;
      if (event.key === "ArrowLeft" && onPrevious) onPrevious();
      if (event.key === "ArrowRight" && onNext) onNext();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [active, onPrevious, onNext]);
  return null;
}
