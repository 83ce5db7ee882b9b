using System.Text;
using System.Threading.Channels;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Client.View;

/// <summary>
/// The web wallboard: GET / is a page that shows the live view and keeps it current without reload from GET /events,
/// a server-sent event stream: "reset" (the whole view, at connect and after every snapshot), "row" (a row added or
/// changed), "remove" (a configuration row deleted), and "tables" every second (each table's age and staleness).
/// GET /tables is the same staleness as JSON.
/// </summary>
public static class Wallboard
{
    public static void MapWallboard(this WebApplication app)
    {
        app.MapGet("/", () => Results.Content(Page, "text/html; charset=utf-8"));
        app.MapGet("/tables", (ClientView view, ClientSettings settings, TimeProvider clock) => Results.Ok(view.Tables(clock.GetUtcNow(), settings.StaleAfter)));
        app.MapGet("/events", StreamAsync);
    }

    private static async Task StreamAsync(HttpContext http, ClientView view, ClientSettings settings, TimeProvider clock)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        var events = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
        var gate = new Lock();
        void Send(string name, object data)
        {
            lock (gate)
            {
                events.Writer.TryWrite($"event: {name}\ndata: {Encoding.UTF8.GetString(Json.Serialize(data))}\n\n");
            }
        }
        void Reset() => Send("reset", new { settings.Site, view.SnapshotSequence, view.IsLoading, rows = view.Rows() });
        void OnChanged(ViewRow row) => Send("row", row);
        void OnRemoved(ViewRow row) => Send("remove", row);
        void OnLoaded(long _) => Reset();

        // subscribe and take the first reset as one step under the view's lock, so no event comes before the reset; the
        // view's lock is taken before the stream's gate, as when the view raises an event (the other order deadlocks)
        view.Atomically(() =>
        {
            view.Changed += OnChanged;
            view.Removed += OnRemoved;
            view.Loaded += OnLoaded;
            Reset();
        });
        var ct = http.RequestAborted;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var ticks = Task.Run(async () =>
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                Send("tables", view.Tables(clock.GetUtcNow(), settings.StaleAfter));
            }
        }, ct);
        try
        {
            Send("tables", view.Tables(clock.GetUtcNow(), settings.StaleAfter));
            await foreach (var message in events.Reader.ReadAllAsync(ct))
            {
                await http.Response.WriteAsync(message, ct);
                await http.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException)
        {
            // the browser went away
        }
        finally
        {
            view.Changed -= OnChanged;
            view.Removed -= OnRemoved;
            view.Loaded -= OnLoaded;
            await ticks.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private const string Page = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>RealTimeDistributor wallboard</title>
        <style>
          body { font-family: system-ui, sans-serif; margin: 1rem; background: #111; color: #eee; }
          h2 { margin: 1rem 0 .3rem; font-size: 1.1rem; }
          h2 .age { font-weight: normal; color: #9c9; margin-left: .5rem; }
          h2.stale .age { color: #f66; }
          table { border-collapse: collapse; min-width: 30rem; }
          td, th { border-bottom: 1px solid #333; padding: .15rem .6rem; text-align: left; }
          tr.flash { background: #253; }
          #status { color: #aaa; }
        </style>
        </head>
        <body>
        <h1>Site <span id="site"></span> live view</h1>
        <div id="status">connecting</div>
        <div id="tables"></div>
        <script>
        const boards = document.getElementById('tables');
        const status = document.getElementById('status');
        const rowId = r => `r-${r.kind}-${r.table}-${r.key}`;
        const tableId = (kind, table) => `t-${kind}-${table}`;
        const text = r => {
          const v = r.value;
          if (v === null || v === undefined) return '';
          if (r.kind === 'config') return v.name !== undefined ? String(v.name) : JSON.stringify(v);
          return Object.entries(v).map(([k, x]) => `${k}: ${x}`).join(', ');
        };
        function board(kind, table) {
          let section = document.getElementById(tableId(kind, table));
          if (!section) {
            section = document.createElement('section');
            section.id = tableId(kind, table);
            section.innerHTML = `<h2>${kind} ${table}<span class="age"></span></h2>` +
              '<table><thead><tr><th>key</th><th>value</th><th>version</th></tr></thead><tbody></tbody></table>';
            const sections = [...boards.children, section].sort((a, b) => a.id.localeCompare(b.id));
            boards.insertBefore(section, sections[sections.indexOf(section) + 1] || null);
          }
          return section.querySelector('tbody');
        }
        function upsert(r, flash) {
          let tr = document.getElementById(rowId(r));
          if (!tr) {
            tr = document.createElement('tr');
            tr.id = rowId(r);
            tr.innerHTML = '<td class="key"></td><td class="value"></td><td class="version"></td>';
            board(r.kind, r.table).appendChild(tr);
          }
          tr.querySelector('.key').textContent = r.key;
          tr.querySelector('.value').textContent = text(r);
          tr.querySelector('.version').textContent = r.version;
          if (flash) { tr.classList.add('flash'); setTimeout(() => tr.classList.remove('flash'), 400); }
        }
        const source = new EventSource('events');
        source.addEventListener('reset', e => {
          const view = JSON.parse(e.data);
          document.getElementById('site').textContent = view.site;
          boards.replaceChildren();
          view.rows.forEach(r => upsert(r, false));
          status.textContent = view.isLoading ? 'loading a snapshot' : `snapshot at site sequence ${view.snapshotSequence}`;
        });
        source.addEventListener('row', e => upsert(JSON.parse(e.data), true));
        source.addEventListener('remove', e => { const tr = document.getElementById(rowId(JSON.parse(e.data))); if (tr) tr.remove(); });
        source.addEventListener('tables', e => {
          JSON.parse(e.data).forEach(t => {
            const section = document.getElementById(tableId(t.kind, t.table));
            if (!section) return;
            section.querySelector('h2').classList.toggle('stale', t.stale);
            section.querySelector('.age').textContent = `${t.rows} rows, newest update ${t.age.split('.')[0]} ago${t.stale ? ' (STALE)' : ''}`;
          });
        });
        source.onerror = () => { status.textContent = 'disconnected, retrying'; };
        </script>
        </body>
        </html>
        """;
}
