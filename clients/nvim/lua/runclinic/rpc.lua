-- JSON-RPC 2.0 over a Unix socket with LSP's Content-Length framing, on libuv (vim.loop): what a
-- trainer's `runclinic serve --socket PATH` speaks. No dependency beyond Neovim itself.
local M = {}
M.__index = M

local uv = vim.loop

--- Connects to `path`; `on_notification(method, params)` gets what the server pushes,
--- `on_close(reason)` when the connection ends.
function M.connect(path, on_notification, on_close)
  local self = setmetatable({
    pipe = uv.new_pipe(false), next_id = 1, pending = {}, buffer = '', on_notification = on_notification,
    on_close = on_close, closed = false,
  }, M)
  local connected = false
  local failure = nil
  self.pipe:connect(path, function(err)
    if err then failure = err else connected = true end
  end)
  vim.wait(5000, function() return connected or failure ~= nil end, 10)
  if not connected then
    self.pipe:close()
    return nil, 'cannot connect to ' .. path .. ': ' .. tostring(failure or 'timed out')
      .. ' (is `runclinic serve --socket ' .. path .. '` running?)'
  end
  self.pipe:read_start(function(err, chunk)
    if err or not chunk then
      vim.schedule(function() self:_closed(err or 'the server closed the connection') end)
      return
    end
    self.buffer = self.buffer .. chunk
    self:_drain()
  end)
  return self
end

function M:_drain()
  while true do
    local header_end = self.buffer:find('\r\n\r\n', 1, true)
    if not header_end then return end
    local length = tonumber(self.buffer:sub(1, header_end):match('Content%-Length: *(%d+)'))
    if not length or #self.buffer < header_end + 3 + length then return end
    local body = self.buffer:sub(header_end + 4, header_end + 3 + length)
    self.buffer = self.buffer:sub(header_end + 4 + length)
    local ok, message = pcall(vim.json.decode, body)
    if ok then vim.schedule(function() self:_dispatch(message) end) end
  end
end

function M:_dispatch(message)
  if message.id ~= nil and (message.result ~= nil or message.error ~= nil) then
    local callback = self.pending[message.id]
    self.pending[message.id] = nil
    if callback then callback(message.error, message.result) end
  elseif message.method then
    self.on_notification(message.method, message.params)
  end
end

function M:_closed(reason)
  if self.closed then return end
  self.closed = true
  for id, callback in pairs(self.pending) do
    self.pending[id] = nil
    callback({ code = -32000, message = reason }, nil)
  end
  if not self.pipe:is_closing() then self.pipe:close() end
  if self.on_close then self.on_close(reason) end
end

local function frame(message)
  local body = vim.json.encode(message)
  return 'Content-Length: ' .. #body .. '\r\n\r\n' .. body
end

--- Sends a request; `callback(err, result)` runs on the main loop.
function M:request(method, params, callback)
  if self.closed then return callback({ code = -32000, message = 'not attached' }, nil) end
  local id = self.next_id
  self.next_id = id + 1
  self.pending[id] = callback
  self.pipe:write(frame({ jsonrpc = '2.0', id = id, method = method, params = params or vim.empty_dict() }))
end

--- A request waited for (up to `timeout` ms): result, or nil and the error.
function M:request_sync(method, params, timeout)
  local done, error_, result = false, nil, nil
  self:request(method, params, function(err, res) done, error_, result = true, err, res end)
  vim.wait(timeout or 60000, function() return done end, 10)
  if not done then return nil, { message = method .. ' timed out' } end
  return result, error_
end

--- Leaves the server running: the socket is closed, which ends only this connection.
function M:close()
  self:_closed('detached')
end

return M
