-- runclinic for Neovim: attach to a trainer's server socket, see its alerts as notifications and
-- in the quickfix list (a bad batch's images openable from it), list runs, read a run's analysis.
local rpc = require('runclinic.rpc')

local M = { connection = nil, socket = nil, alerts = 0 }

local function notify(message, level)
  vim.notify('runclinic: ' .. message, level or vim.log.levels.INFO)
end

local severity_levels = {
  info = vim.log.levels.INFO, warning = vim.log.levels.WARN, high = vim.log.levels.ERROR,
  critical = vim.log.levels.ERROR,
}

local function text(value)
  if value == nil or value == vim.NIL then return '' end
  return tostring(value)
end

--- The quickfix entries of one `monitor.alert`: an entry per anomaly (run, step, metric,
--- severity, message and the advice), then a bad batch's images, each openable.
function M.entries(alert)
  local run = alert.run or {}
  local action = alert.action ~= vim.NIL and alert.action or nil
  local advice = action and (' → ' .. text(action.kind) .. ': ' .. text(action.reason)) or ''
  local entries = {}
  for _, anomaly in ipairs(alert.anomalies or {}) do
    table.insert(entries, {
      text = string.format('[%s] run %s, step %s, %s: %s%s', text(anomaly.severity), text(run.name),
        text(anomaly.step), text(anomaly.metric), text(anomaly.message), advice),
      type = (anomaly.severity == 'high' or anomaly.severity == 'critical') and 'E' or 'W',
    })
    for _, path in ipairs(anomaly.samples ~= vim.NIL and anomaly.samples or {}) do
      table.insert(entries, { filename = path, text = string.format('image of batch %s, run %s, step %s',
        text(anomaly.batch), text(run.name), text(anomaly.step)), type = 'I' })
    end
  end
  if #entries == 0 and action then
    table.insert(entries, { text = string.format('run %s, step %s%s', text(run.name), text(action.step), advice), type = 'W' })
  end
  return entries
end

local function on_alert(alert)
  M.alerts = M.alerts + 1
  local entries = M.entries(alert)
  vim.fn.setqflist({}, 'a', { title = 'runclinic alerts', items = entries })
  local worst = vim.log.levels.INFO
  for _, anomaly in ipairs(alert.anomalies or {}) do
    worst = math.max(worst, severity_levels[anomaly.severity] or worst)
  end
  if entries[1] then notify(entries[1].text, worst) end
end

--- :Runclinic attach [SOCKET]
function M.attach(socket)
  socket = socket ~= '' and socket or vim.g.runclinic_socket or os.getenv('RUNCLINIC_SOCKET')
  if not socket then
    return notify('give the trainer server\'s socket: :Runclinic attach PATH (or set g:runclinic_socket)', vim.log.levels.ERROR)
  end
  if M.connection then M.detach() end
  local connection, err = rpc.connect(socket, function(method, params)
    if method == 'monitor.alert' then on_alert(params) end
  end, function(reason)
    if M.connection and M.connection.closed then
      M.connection = nil
      if reason ~= 'detached' then notify('connection to ' .. M.socket .. ' ended: ' .. tostring(reason), vim.log.levels.WARN) end
    end
  end)
  if not connection then return notify(err, vim.log.levels.ERROR) end
  M.connection, M.socket = connection, socket
  local _, init_error = connection:request_sync('initialize', { clientInfo = { name = 'runclinic.nvim' } }, 10000)
  if init_error then return notify('initialize failed: ' .. text(init_error.message), vim.log.levels.ERROR) end
  local _, subscribe_error = connection:request_sync('monitor.subscribe', vim.empty_dict(), 10000)
  if subscribe_error then return notify('subscribe failed: ' .. text(subscribe_error.message), vim.log.levels.ERROR) end
  vim.fn.setqflist({}, ' ', { title = 'runclinic alerts', items = {} })
  notify('attached to ' .. socket .. ': alerts go to the quickfix list')
  return true
end

function M.detach()
  if not M.connection then return notify('not attached') end
  M.connection:close()
  M.connection = nil
  notify('detached from ' .. M.socket)
end

local function need_connection()
  if not M.connection then
    notify('not attached: :Runclinic attach SOCKET first', vim.log.levels.ERROR)
    return nil
  end
  return M.connection
end

--- :Runclinic runs: the store's runs in a scratch buffer.
function M.runs()
  local connection = need_connection()
  if not connection then return end
  local result, err = connection:request_sync('run.list', { limit = 200 })
  if err then return notify('run.list: ' .. text(err.message), vim.log.levels.ERROR) end
  local lines = { string.format('%-6s %-28s %-16s %-9s', 'id', 'run', 'project', 'status') }
  for _, run in ipairs(result.runs) do
    table.insert(lines, string.format('%-6s %-28s %-16s %-9s', text(run.run_id), text(run.name), text(run.project), text(run.status)))
  end
  -- A scratch buffer (no file, no swap file), replacing the last listing.
  local name = 'runclinic://runs'
  local existing = vim.fn.bufnr(name)
  if existing > 0 then vim.api.nvim_buf_delete(existing, { force = true }) end
  local buffer = vim.api.nvim_create_buf(true, true)
  vim.api.nvim_buf_set_lines(buffer, 0, -1, false, lines)
  vim.api.nvim_buf_set_name(buffer, name)
  vim.bo[buffer].bufhidden, vim.bo[buffer].modifiable = 'wipe', false
  vim.cmd('sbuffer ' .. buffer)
  return lines
end

--- :Runclinic analyze RUN: the run's markdown report in a split.
function M.analyze(run)
  local connection = need_connection()
  if not connection then return end
  if run == nil or run == '' then return notify('give a run: :Runclinic analyze RUN', vim.log.levels.ERROR) end
  local folder = vim.fn.tempname()
  vim.fn.mkdir(folder, 'p')
  local reference = tonumber(run) or run
  notify('analysing ' .. run .. '…')
  local result, err = connection:request_sync('analyze.run', { run = reference, output_dir = folder, formats = { 'md' } }, 300000)
  if err then return notify('analyze.run: ' .. text(err.message), vim.log.levels.ERROR) end
  vim.cmd('split ' .. vim.fn.fnameescape(result.reports.md))
  notify(text(result.key_finding))
  return result.reports.md
end

function M.command(arguments)
  local words = vim.split(arguments.args, '%s+', { trimempty = true })
  local sub, rest = words[1], table.concat(vim.list_slice(words, 2), ' ')
  if sub == 'attach' then return M.attach(rest)
  elseif sub == 'detach' then return M.detach()
  elseif sub == 'runs' then return M.runs()
  elseif sub == 'analyze' then return M.analyze(rest)
  end
  notify('usage: :Runclinic attach [SOCKET] | runs | analyze RUN | detach', vim.log.levels.ERROR)
end

return M
