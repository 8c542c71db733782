"""Chat notifications through Apprise (`[[notify]]`): digest-mode channels get each digest in short
form (the ``chat`` delivery channel, monitor.notify.channels), instant-mode channels one message per
new story within an hourly cap (monitor.notify.service); monitor.notify.send makes one attempt."""
