Btj
location../secret.binp