// The run viewer: reads only the trace (JSON lines of src/trace/events.ts), never the simulator.
// One swimlane per client: online periods, faults, hibernation and message deliveries; below it a
// chart of messages sent, delivered and stored offline over virtual time.

const colours = {
  online: '#9ccc9c', hibernating: '#f0c050', fault: '#d9534f', send: '#3a6fb0', deliver: '#2e8b57', offline: '#8e44ad', bounce: '#e67e22', expire: '#7f0000',
};

function parse(text) {
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line));
}

function lanesOf(events) {
  const lanes = new Map();
  const lane = (name) => {
    if (!lanes.has(name)) lanes.set(name, { name, spans: [], marks: [], onlineSince: undefined });
    return lanes.get(name);
  };
  const hibernating = new Map();
  for (const event of events) {
    switch (event.type) {
      case 'client.state': {
        const l = lane(event.client);
        if (event.state === 'online') l.onlineSince ??= event.t;
        else if (event.state === 'offline' && l.onlineSince !== undefined) {
          l.spans.push({ from: l.onlineSince, to: event.t, colour: colours.online });
          l.onlineSince = undefined;
        }
        break;
      }
      case 'net.fault':
        lane(event.client).marks.push({ t: event.t, colour: event.fault === 'heal' ? '#5cb85c' : colours.fault, tall: true });
        break;
      case 'message.sent':
        lane(event.client).marks.push({ t: event.t, colour: colours.send });
        break;
      case 'message.delivered':
        lane(event.client).marks.push({ t: event.t, colour: event.offline ? colours.offline : colours.deliver });
        break;
      case 'message.bounced':
        lane(event.client).marks.push({ t: event.t, colour: colours.bounce, tall: true });
        break;
      case 'smacks.hibernation-start':
        hibernating.set(event.jid, event.t);
        break;
      case 'smacks.hibernation-end':
      case 'smacks.expire': {
        const since = hibernating.get(event.jid);
        const client = event.jid.split('@')[0];
        if (since !== undefined) lane(client).spans.push({ from: since, to: event.t, colour: event.type === 'smacks.expire' ? colours.expire : colours.hibernating, band: true });
        hibernating.delete(event.jid);
        break;
      }
    }
  }
  const end = events.length > 0 ? events[events.length - 1].t : 0;
  for (const l of lanes.values()) if (l.onlineSince !== undefined) l.spans.push({ from: l.onlineSince, to: end, colour: colours.online });
  return { lanes: [...lanes.values()], end };
}

function drawTimeline(canvas, { lanes, end }) {
  const laneHeight = 18;
  const left = 110;
  canvas.width = canvas.clientWidth * devicePixelRatio;
  canvas.height = (lanes.length * laneHeight + 30) * devicePixelRatio;
  canvas.style.height = `${lanes.length * laneHeight + 30}px`;
  const ctx = canvas.getContext('2d');
  ctx.scale(devicePixelRatio, devicePixelRatio);
  const width = canvas.clientWidth - left - 10;
  const x = (t) => left + (end === 0 ? 0 : (t / end) * width);
  ctx.font = '11px system-ui';
  lanes.forEach((l, index) => {
    const y = 10 + index * laneHeight;
    ctx.fillStyle = '#333';
    ctx.fillText(l.name.slice(0, 16), 4, y + 12);
    for (const span of l.spans) {
      ctx.fillStyle = span.colour;
      ctx.fillRect(x(span.from), y + (span.band ? 11 : 3), Math.max(1, x(span.to) - x(span.from)), span.band ? 5 : 8);
    }
    for (const mark of l.marks) {
      ctx.fillStyle = mark.colour;
      ctx.fillRect(x(mark.t), y + (mark.tall ? 0 : 4), 1.5, mark.tall ? laneHeight - 2 : 6);
    }
  });
  ctx.fillStyle = '#555';
  const hours = end / 3_600_000;
  const step = hours > 12 ? 2 : hours > 2 ? 1 : hours > 0.5 ? 0.25 : 1 / 60;
  for (let h = 0; h <= hours; h += step) {
    const px = x(h * 3_600_000);
    ctx.fillRect(px, lanes.length * laneHeight + 12, 1, 5);
    ctx.fillText(step < 0.1 ? `${Math.round(h * 60)}m` : `${h}h`, px + 2, lanes.length * laneHeight + 26);
  }
}

function drawChart(canvas, events) {
  const series = { sent: [], delivered: [], offline: [] };
  const counts = { sent: 0, delivered: 0, offline: 0 };
  for (const event of events) {
    const key = event.type === 'message.sent' ? 'sent' : event.type === 'message.delivered' ? (event.offline ? 'offline' : 'delivered') : undefined;
    if (key === undefined) continue;
    counts[key]++;
    series[key].push({ x: event.t / 60_000, y: counts[key] });
  }
  new Chart(canvas, {
    type: 'line',
    data: {
      datasets: [
        { label: 'messages sent', data: series.sent, borderColor: colours.send, pointRadius: 0 },
        { label: 'delivered live', data: series.delivered, borderColor: colours.deliver, pointRadius: 0 },
        { label: 'delivered from offline storage', data: series.offline, borderColor: colours.offline, pointRadius: 0 },
      ],
    },
    options: { animation: false, maintainAspectRatio: false, parsing: false, scales: { x: { type: 'linear', title: { display: true, text: 'virtual minutes' } }, y: { title: { display: true, text: 'cumulative' } } } },
  });
}

function show(text) {
  const events = parse(text);
  const timeline = lanesOf(events);
  const count = (type) => events.filter((event) => event.type === type).length;
  document.getElementById('summary').textContent =
    `${events.length} events · ${timeline.lanes.length} clients · ${(timeline.end / 3_600_000).toFixed(2)} h virtual · ` +
    `${count('message.sent')} messages sent · ${count('smacks.hibernation-start')} hibernations, ${count('smacks.expire')} expired`;
  document.getElementById('legend').innerHTML = Object.entries(colours).map(([name, colour]) => `<span><i style="background:${colour}"></i>${name}</span>`).join('');
  drawTimeline(document.getElementById('timeline'), timeline);
  drawChart(document.getElementById('chart'), events);
}

document.getElementById('file').addEventListener('change', async (event) => show(await event.target.files[0].text()));
const fromServer = new URLSearchParams(location.search).get('trace');
if (fromServer !== null) fetch(fromServer).then((response) => response.text()).then(show);
