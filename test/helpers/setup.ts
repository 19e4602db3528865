// Pin the process zone so results never depend on the machine; zone-specific cases set zones explicitly.
process.env.TZ = 'UTC';
