-- :Runclinic attach [SOCKET] | runs | analyze RUN | detach
if vim.g.loaded_runclinic then return end
vim.g.loaded_runclinic = true
vim.api.nvim_create_user_command('Runclinic', function(arguments) require('runclinic').command(arguments) end, {
  nargs = '*',
  complete = function(lead, line)
    if #vim.split(line, '%s+') <= 2 then
      return vim.tbl_filter(function(word) return word:find(lead, 1, true) == 1 end, { 'attach', 'runs', 'analyze', 'detach' })
    end
    return {}
  end,
})
